"""fenxiao: a B2B2C social-distribution commerce platform."""
