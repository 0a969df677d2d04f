"""The shop inside other websites: the "Buy a gift" button script and the framable pages."""
