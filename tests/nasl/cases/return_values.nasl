# return ends the function; without a value, or without return, a call yields NULL.
function nothing() { x = 1; }
function bare() { return; }
function early(n) { while (TRUE) { for (i = 0; i < 10; i++) { if (i == n) return i * 10; } } }
display(isnull(nothing()), isnull(bare()), " ", early(n: 3), "\n");
function list() { l = make_list("p", "q"); return l; }
r = list();
display(r[1], " ", max_index(r), "\n");
