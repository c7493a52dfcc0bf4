# A lone ';' is an empty statement; ';;' is legal (nasl.md §2.2).
;;
if (1) ; else display("never\n");
for (i = 0; i < 3; i++) ;
display("i=", i, "\n");;
