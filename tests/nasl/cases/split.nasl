# split(): on sep: (kept unless keep: FALSE), or at line ends, "\r\n" included.
l = split("a,b,,c", sep: ",");
foreach v (l) display("[", v, "]");
display(" ", max_index(l), "\n");
l = split("a,b,,c", sep: ",", keep: FALSE);
foreach v (l) display("[", v, "]");
display("\n");
l = split('one\r\ntwo\nthree', keep: FALSE);
foreach v (l) display("[", v, "]");
display("\n");
l = split('x\ny\n');
display(max_index(l), " ", hexstr(l[0]), "\n");
display(isnull(split("")), "\n");
