# Calling an undefined function warns and yields NULL; its arguments are not evaluated.
r = nosuch(x = 5);
display(isnull(r), " ", isnull(x), "\n");
display("still running\n");
