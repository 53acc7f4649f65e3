// Bundles a transpiled client tree (the output of `raccoon build`) for the browser.
//
//   node_modules/.bin/webpack --env build=js/build --env entry=raccoon --env out=js/build/dist
//
// env.build  the directory `raccoon build` wrote (one folder per client package)
// env.entry  the package to bundle (its index.js is the entry point)
// env.out    where the bundle and its source map go (default: <build>/dist)
// env.library the global name the entry's exports get (default: the entry name)
//
// The Python client code is transpiled by JavaScripthon with source maps that
// embed the Python text; source-map-loader chains them into the bundle's map, so
// browser stack traces and breakpoints show the Python lines.
const path = require('path');
const webpack = require('webpack');

module.exports = (env = {}, argv = {}) => {
  const build = path.resolve(env.build || 'js/build');
  const entry = env.entry || 'raccoon';
  const out = path.resolve(env.out || path.join(build, 'dist'));
  const mode = argv.mode || env.mode || 'production';
  return {
    mode,
    context: build,
    entry: { [entry]: path.join(build, entry, 'index.js') },
    output: {
      path: out,
      filename: '[name].bundle.js',
      library: { name: env.library || entry, type: 'umd' },
      globalObject: 'globalThis',
      // The Python sources show with their path relative to where the build ran.
      devtoolModuleFilenameTemplate: (info) =>
        `raccoon:///${path.relative(process.cwd(), info.absoluteResourcePath)}`,
    },
    devtool: 'source-map',
    module: {
      rules: [
        { test: /\.m?js$/, enforce: 'pre', use: ['source-map-loader'] },
        // autobahn-js warns on every closed connection, deliberate ones too.
        {
          test: /autobahn-browser[\\/]autobahn(\.min)?\.js$/,
          use: [path.resolve(__dirname, 'js/tools/autobahn-quiet-loader.cjs')],
        },
        // Stylesheets of npm widgets (Tabulator) come in as text; the page inserts them.
        { test: /\.css$/, type: 'asset/source' },
        {
          test: /\.m?js$/,
          // JavaScripthon writes extensionless imports inside "type": "module" packages.
          resolve: { fullySpecified: false },
        },
        {
          test: /\.m?js$/,
          exclude: /node_modules/,
          use: {
            loader: 'babel-loader',
            options: {
              babelrc: false,
              configFile: false,
              presets: [[require.resolve('@babel/preset-env'), { targets: 'defaults' }]],
            },
          },
        },
      ],
    },
    resolve: {
      modules: [build, path.resolve(__dirname, 'node_modules'), 'node_modules'],
      extensions: ['.js', '.mjs'],
      alias: {
        // The npm `autobahn` pulls Node stream polyfills that crash in the browser.
        autobahn: 'autobahn-browser',
      },
    },
    // The build tree lives anywhere; the loaders live here.
    resolveLoader: { modules: [path.resolve(__dirname, 'node_modules')] },
    plugins: [
      // when.js (inside autobahn) probes for the vert.x runtime.
      new webpack.IgnorePlugin({ resourceRegExp: /^vertx$/ }),
    ],
    performance: { hints: false },
    stats: 'errors-warnings',
  };
};
