"""Make the input workbooks of the spreadsheet tasks and the expected (gold) files next to this script.

Run from anywhere: ``python tasks/core/spreadsheet/assets/make_assets.py``.  Needs openpyxl.

The gold workbooks hold *values*, not formulas: ``compare_table``'s ``sheet_data``
rule reads the cached results LibreOffice stores for the agent's formulas, so
the gold must hold the numbers a correct solution computes.  Integral numbers
are written as ints (LibreOffice writes ``250``, not ``250.0``) so the column
dtypes of the two DataFrames agree.  Everything is deterministic: running the
script again rewrites identical data.
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent


def _book(sheets: dict[str, list[list[object]]]) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    return wb


def _save(wb: openpyxl.Workbook, name: str) -> None:
    wb.save(HERE / name)


def _num(value: float) -> int | float:
    """An int when the value is integral, else the float rounded to cents."""
    value = round(value, 2)
    return int(value) if value == int(value) else value


# --- profit-column -------------------------------------------------------------------------------

WEEKS = [("2025-W01", 18250, 11020), ("2025-W02", 17480, 10315), ("2025-W03", 19910, 12004),
         ("2025-W04", 21035, 12760), ("2025-W05", 16890, 10950), ("2025-W06", 20470, 11885),
         ("2025-W07", 22315, 13240), ("2025-W08", 19760, 12115), ("2025-W09", 18405, 11230),
         ("2025-W10", 23120, 13975)]


def profit_column() -> None:
    header = ["Week", "Sales", "COGS"]
    _save(_book({"Sales": [header, *[list(w) for w in WEEKS]]}), "weekly_sales.xlsx")
    gold = [header + ["Profit"], *[[w, s, c, s - c] for w, s, c in WEEKS]]
    _save(_book({"Sales": gold}), "weekly_sales_gold.xlsx")


# --- monthly-totals-row --------------------------------------------------------------------------

BUDGET = [("Rent", 1450, 1450, 1450), ("Groceries", 612, 585, 640), ("Utilities", 188, 203, 171),
          ("Transport", 96, 118, 104), ("Insurance", 74, 74, 74), ("Leisure", 230, 145, 310)]


def totals_row() -> None:
    header = ["Category", "Jan", "Feb", "Mar"]
    rows = [list(r) for r in BUDGET]
    _save(_book({"Budget": [header, *rows]}), "household_budget.xlsx")
    totals = ["Total", *[sum(r[i] for r in BUDGET) for i in (1, 2, 3)]]
    _save(_book({"Budget": [header, *rows, totals]}), "household_budget_gold.xlsx")


# --- rename-sheet --------------------------------------------------------------------------------

STOCK = [["SKU", "Item", "Qty"], ["A-1001", "Desk lamp", 34], ["A-1002", "Office chair", 12],
         ["A-1003", "Monitor arm", 27], ["B-2001", "USB-C hub", 58], ["B-2002", "Webcam", 19],
         ["C-3001", "Whiteboard", 6]]
SUPPLIERS = [["Supplier", "Contact"], ["Lumen GmbH", "orders@lumen.example"],
             ["SitWell Ltd", "sales@sitwell.example"], ["Portly Inc", "hello@portly.example"]]


def rename_sheet() -> None:
    _save(_book({"Sheet1": STOCK, "Suppliers": SUPPLIERS}), "inventory.xlsx")
    _save(_book({"Stock 2025": STOCK, "Suppliers": SUPPLIERS}), "inventory_gold.xlsx")


# --- freeze-header-row ---------------------------------------------------------------------------

def freeze_header() -> None:
    customers = ["Lindqvist", "Okafor", "Moreau", "Tanaka", "Silva", "Novak", "Haddad", "Byrne"]
    products = ["Paper A4", "Toner", "Stapler", "Folders", "Pens", "Envelopes"]
    rows = [["Order ID", "Customer", "Product", "Qty", "Amount"]]
    for i in range(45):
        qty = 1 + (i * 7) % 12
        rows.append([f"SO-{5101 + i}", customers[(i * 3) % len(customers)], products[(i * 5) % len(products)],
                     qty, qty * (4 + (i * 11) % 17)])
    _save(_book({"Orders": rows}), "orders.xlsx")
    gold = _book({"Orders": rows})
    gold["Orders"].freeze_panes = "A2"
    _save(gold, "orders_gold.xlsx")


# --- lookup-unit-prices --------------------------------------------------------------------------

PRICES = [("Notebook", 3.25), ("Ballpoint pen", 0.8), ("Desk organizer", 14.5), ("Sticky notes", 2.4),
          ("Highlighter", 1.15), ("Binder clip box", 4.75)]
ORDER_LINES = [("O-301", "Sticky notes", 12), ("O-302", "Notebook", 5), ("O-303", "Desk organizer", 2),
               ("O-304", "Ballpoint pen", 40), ("O-305", "Highlighter", 9), ("O-306", "Binder clip box", 3),
               ("O-307", "Notebook", 14), ("O-308", "Sticky notes", 6), ("O-309", "Ballpoint pen", 25),
               ("O-310", "Desk organizer", 1), ("O-311", "Highlighter", 20), ("O-312", "Notebook", 8)]


def lookup_prices() -> None:
    header = ["Order", "Product", "Qty", "Unit Price", "Amount"]
    price_rows = [["Product", "Unit Price"], *[list(p) for p in PRICES]]
    orders = [header, *[list(o) for o in ORDER_LINES]]
    _save(_book({"Orders": orders, "Prices": price_rows}), "order_lines.xlsx")
    price = dict(PRICES)
    filled = [header, *[[o, p, q, _num(price[p]), _num(q * price[p])] for o, p, q in ORDER_LINES]]
    _save(_book({"Orders": filled, "Prices": price_rows}), "order_lines_gold.xlsx")


# --- sort-by-score -------------------------------------------------------------------------------

SCORES = [("Amara Diallo", "10B", 78), ("Ben Fischer", "10A", 91), ("Chloe Martin", "10B", 64),
          ("Daniel Kim", "10A", 85), ("Elena Rossi", "10C", 97), ("Farid Haddad", "10C", 59),
          ("Grace Liu", "10A", 73), ("Hugo Petit", "10B", 88), ("Isla Murphy", "10C", 69),
          ("Jonas Berg", "10A", 94), ("Kemal Aydin", "10B", 81), ("Lea Novak", "10C", 76)]


def sort_by_score() -> None:
    header = ["Student", "Class", "Score"]
    _save(_book({"Results": [header, *[list(s) for s in SCORES]]}), "exam_results.xlsx")
    ordered = sorted(SCORES, key=lambda s: -s[2])
    _save(_book({"Results": [header, *[list(s) for s in ordered]]}), "exam_results_gold.xlsx")


# --- export-csv ----------------------------------------------------------------------------------

CONTACTS = [["Name", "Email", "Phone", "City"],
            ["Ingrid Holm", "ingrid.holm@example.org", "555-0134", "Oslo"],
            ["Mateo Alvarez", "m.alvarez@example.org", "555-0178", "Seville"],
            ["Priya Raman", "priya.r@example.org", "555-0112", "Chennai"],
            ["Tomasz Wrobel", "t.wrobel@example.org", "555-0190", "Gdansk"],
            ["Aiko Sato", "aiko.sato@example.org", "555-0147", "Sapporo"],
            ["Lucas Moreau", "lucas.moreau@example.org", "555-0165", "Lyon"]]


def export_csv() -> None:
    _save(_book({"Contacts": CONTACTS}), "contacts.xlsx")
    with open(HERE / "contacts_gold.csv", "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(CONTACTS)


# --- two-decimal-format --------------------------------------------------------------------------

INVOICE = [("Laptop stand", 12, 39.9), ("Mechanical keyboard", 8, 129.0), ("27-inch monitor", 6, 289.5),
           ("Docking station", 10, 174.25), ("Noise-cancelling headset", 15, 96.8),
           ("Ergonomic mouse", 20, 45.0), ("Conference speaker", 3, 1249.0), ("Cable kit", 25, 18.6)]


def two_decimals() -> None:
    header = ["Item", "Qty", "Unit Price", "Total"]
    rows = [header, *[[i, q, _num(p), _num(q * p)] for i, q, p in INVOICE]]
    _save(_book({"Invoice": rows}), "quote.xlsx")
    _save(_book({"Invoice": rows}), "quote_gold.xlsx")


# --- live-stock-quotes (infeasible) --------------------------------------------------------------

def portfolio() -> None:
    rows = [["Ticker", "Shares"], ["AAPL", 40], ["MSFT", 25], ["NVDA", 60], ["ASML", 10], ["SAP", 35]]
    _save(_book({"Portfolio": rows}), "portfolio.xlsx")


if __name__ == "__main__":
    for make in (profit_column, totals_row, rename_sheet, freeze_header, lookup_prices, sort_by_score,
                 export_csv, two_decimals, portfolio):
        make()
    print("wrote", ", ".join(sorted(p.name for p in HERE.iterdir() if p.suffix in (".xlsx", ".csv"))))
