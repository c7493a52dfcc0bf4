# Arrays are values: assignment, arguments and return values copy them (nasl.md §2.3).
a = make_list(1, 2, 3);
b = a;
b[0] = 99;
display(a[0], " ", b[0], "\n");
function change(l) { l[1] = "changed"; return l; }
c = change(l: a);
display(a[1], " ", c[1], "\n");
function anon() { x = _FCT_ANON_ARGS[0]; x[2] = "anon"; return x[2]; }
display(anon(a), " ", a[2], "\n");
n["k"] = a;
a[0] = "later";
t = n["k"];
display(t[0], " ", a[0], "\n");
