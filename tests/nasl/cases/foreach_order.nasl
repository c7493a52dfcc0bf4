# foreach walks values: the numeric part by index, then keys by C's hash bucket (README).
a["a"] = "A"; a[2] = "two"; a["g"] = "G"; a[0] = "zero"; a["f"] = "F";
foreach v (a) display(v, " ");
display("\n");
foreach k (keys(a)) display(k, " ");
display("\n");
s = "text";
foreach c (s) display("never");
foreach c (NULL) display("never");
display("done\n");
