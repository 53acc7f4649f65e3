"""The widgets' stylesheet, put in the page once (JavaScript only).

Plain, overridable rules: the page's own CSS wins over them (they come
first in ``<head>``). The CSP allows inline styles.
"""

from __globals__ import document

__all__ = ["install"]

CSS = """
.raccoon-grid .raccoon-scroller:focus { outline: 2px solid #4a90d9; }
.raccoon-grid .tabulator-row.raccoon-current { background: #cfe3ff; }
.raccoon-grid .tabulator-col[data-sort-dir=asc] .tabulator-col-title::after { content: " ▲"; }
.raccoon-grid .tabulator-col[data-sort-dir=desc] .tabulator-col-title::after { content: " ▼"; }
.raccoon-form { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px;
  max-width: 720px; margin: 8px 0; }
.raccoon-form .raccoon-field { display: contents; }
.raccoon-form .raccoon-label { align-self: center; font-weight: bold; }
.raccoon-form .raccoon-field-error, .raccoon-form .raccoon-error { color: #b00020; }
.raccoon-form .raccoon-field-error { grid-column: 2; font-size: 90%; }
.raccoon-form .raccoon-field-error:empty, .raccoon-form .raccoon-error:empty { display: none; }
.raccoon-form > .raccoon-error { grid-column: 1 / span 2; margin: 0; }
.raccoon-form [data-changed] { background: #fff8d6; }
.raccoon-form [aria-invalid=true] { border-color: #b00020; }
.raccoon-form .raccoon-form-buttons { grid-column: 1 / span 2; display: flex; gap: 8px;
  align-items: center; }
.raccoon-form .raccoon-dirty { color: #8a6d00; }
.raccoon-dialog { position: fixed; z-index: 1000; top: 15%; left: 50%;
  transform: translateX(-50%); background: white; border: 1px solid #888;
  box-shadow: 0 0 0 100vmax rgba(0, 0, 0, 0.35); padding: 16px 20px; min-width: 420px; }
.raccoon-dialog table { border-collapse: collapse; margin: 8px 0; }
.raccoon-dialog th, .raccoon-dialog td { border-bottom: 1px solid #ddd; padding: 4px 8px;
  text-align: left; }
.raccoon-dialog .raccoon-dialog-buttons { display: flex; gap: 8px; }
.raccoon-history ol { padding-left: 20px; }
.raccoon-history .raccoon-change { display: block; margin-left: 12px; font-size: 90%; }
"""

_installed = {"done": False}


def install():
    """Add the stylesheet to the page (once)."""
    if _installed["done"]:
        return
    _installed["done"] = True
    style = document.createElement("style")
    style.setAttribute("data-raccoon-styles", "widgets")
    style.textContent = CSS
    document.head.insertBefore(style, document.head.firstChild)
