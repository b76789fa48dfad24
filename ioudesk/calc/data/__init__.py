"""Reference data shipped with the calculation engine (a package so that wheels include it)."""
