# `x` repeats a call only right after one; elsewhere it is a name (nasl.md §2.1, §2.2).
function f() { n++; }
x = 3;
n = 0;
f() x x;
display("x=", x, " n=", n, "\n");
f() x 0;
f() x -2;
display("n=", n, "\n");
f() x "2abc";
display("n=", n, "\n");
