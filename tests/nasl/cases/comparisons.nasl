# Comparisons (cell_cmp): bytes when either side is a string, numbers only for two ints.
display(10 < "9", " ", 1 == "1", " ", "abc" < "abd", " ", "ab" < "abc", " ", 2 < 10, " ", "2" < "10", "\n");
display(NULL == 0, " ", NULL == "", " ", NULL < 1, " ", NULL == NULL, " ", "a" == 'a', " ", 'a\0' == 'a', "\n");
display(0 != NULL, " ", isnull(0), " ", -1 < NULL, "\n");
l = make_list(1); m = make_list(2);
display(l > NULL, " ", NULL < l, " ", l == NULL, "\n");
display(l == m, "\n");
display(l == 1, "\n");
min = -9223372036854775807 - 1;
display(min < 1, " ", 1 > min, "\n");
