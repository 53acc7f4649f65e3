// Tabulator (npm `tabulator-tables`, pinned in package.json) for the Python client code.
import { TabulatorFull } from 'tabulator-tables';
import css from 'tabulator-tables/dist/css/tabulator.min.css';

export const Tabulator = TabulatorFull;

let installed = false;

// Put Tabulator's stylesheet in the page once (the CSP allows inline styles).
export function install_styles() {
  if (installed) return;
  installed = true;
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
}
