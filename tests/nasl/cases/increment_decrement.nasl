# ++ and -- make the variable a C int; strings are read with atoi (nasl.md §2.3).
i = 5;
display(i++, " ", i, " ", ++i, " ", i--, " ", --i, "\n");
big = 2147483647; big++;
wide = 4294967297; wide++;
display(big, " ", wide, "\n");
s = "12abc"; s++;
display(s, " ", typeof(s), "\n");
u++; --w;
display(u, " ", w, "\n");
a = make_list(10, 20); a[1]++; a[5]--;
display(a[1], " ", a[5], " ", max_index(a), "\n");
