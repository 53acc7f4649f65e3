// Tabulator (npm `tabulator-tables`, pinned in package.json) for the Python client code.
// The core build plus only the modules the grid uses (TabulatorFull would add
// about 64 KiB gzipped of editing, export, grouping... to every page):
// row and header clicks, cell formatting, column resizing from the header.
import {
  Tabulator,
  InteractionModule,
  FormatModule,
  ResizeColumnsModule,
} from 'tabulator-tables';
import css from 'tabulator-tables/dist/css/tabulator.min.css';

Tabulator.registerModule([InteractionModule, FormatModule, ResizeColumnsModule]);

export { Tabulator };

let installed = false;

// Put Tabulator's stylesheet in the page once (the CSP allows inline styles).
export function install_styles() {
  if (installed) return;
  installed = true;
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
}
