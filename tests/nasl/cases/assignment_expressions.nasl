# Assignment is an expression (nasl.md §2.2): chained, in conditions, as && / || operand.
a = b = c = 7;
display(a, b, c, "\n");
function next() { n--; return n; }
n = 3;
while (r = next()) display("r=", r, " ");
display("\n");
if (!z = 0) display("z=", z, "\n");
if (a && w = "set") display("w=", w, "\n");
if (0 || v = 0) display("never\n"); else display("v=", v, "\n");
display(x = 5, " ", x += 2, " ", x, "\n");
