# Named arguments become the callee's local variables, declared parameters or not.
function f(a, b) { return a + "/" + b + "/" + c; }
display(f(b: "B", a: "A", c: "C"), "\n");
function g(p) { p = "changed"; return p; }
p = "global";
display(g(p: "arg"), " ", p, "\n");
display(f(a: 1, a: 2), "|", isnull(f(a: 1, a: 2)), "\n");
