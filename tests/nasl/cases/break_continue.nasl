# break and continue: innermost loop; outside any loop they leave the function (nasl.md §2.4).
function f() { display("a"); break; display("never"); }
for (i = 0; i < 2; i++) { f(); display(i); }
display("\n");
function g() { continue; return "never"; }
display(isnull(g()), "\n");
for (i = 0; i < 3; i++) { for (j = 0; j < 3; j++) { if (j == 1) break; display(i, j, " "); } }
display("\n");
for (i = 0; i < 5; i++) { if (i % 2) continue; display(i); }
display(" i=", i, "\n");
i = 0; while (i < 5) { i++; if (i == 2) continue; if (i == 4) break; display(i); }
display("\n");
foreach v (make_list(1, 2, 3, 4)) { if (v == 2) continue; if (v == 4) break; display(v); }
display("\n");
