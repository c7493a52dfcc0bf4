# / and % truncate toward zero as in C; a zero divisor gives 0 (nasl.md §2.3).
display(7 / 2, " ", -7 / 2, " ", 7 / -2, " ", -7 / -2, "\n");
display(7 % 2, " ", -7 % 2, " ", 7 % -2, " ", -7 % -2, "\n");
display(5 / 0, " ", 5 % 0, " ", 0 / 5, "\n");
x = 17; x /= 5; y = 17; y %= 5;
display(x, " ", y, "\n");
