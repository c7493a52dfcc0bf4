# ** is right-associative and binds tighter than unary minus; negative exponents give 0.
display(2 ** 10, " ", 2 ** 0, " ", 0 ** 0, " ", 2 ** -1, " ", 1 ** -5, " ", -1 ** -1, "\n");
display(2 ** 63, " ", 2 ** 64, " ", 3 ** 41, "\n");
display((-2) ** 2, " ", -2 ** 2, "\n");
