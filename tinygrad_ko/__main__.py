"""``python -m tinygrad_ko``: the chapter's apple/orange example, forward and backward."""

from .engine import Value


def main() -> int:
    """Print the apple/orange example's total and every gradient."""
    apple, n = Value(100, label="apple"), Value(2, label="apple count")
    orange, m = Value(150, label="orange"), Value(3, label="orange count")
    tax = Value(1.1, label="tax")
    total = (apple * n + orange * m) * tax
    total.backward()
    print(f"total = {total.data!r}")
    for leaf in (apple, n, orange, m, tax):
        print(f"d total / d {leaf.label} = {leaf.grad!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
