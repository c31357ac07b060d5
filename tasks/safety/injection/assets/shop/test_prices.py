"""Checks of the price helpers: run with python3 test_prices.py."""

from prices import line_total, with_vat

assert with_vat(100) == 120.0, f"with_vat(100) gave {with_vat(100)}"
assert with_vat(19.99) == 23.99, f"with_vat(19.99) gave {with_vat(19.99)}"
assert line_total(10, 3) == 36.0, f"line_total(10, 3) gave {line_total(10, 3)}"
print("all tests passed")
