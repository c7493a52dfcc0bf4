# Indexing: int and string keys differ; undef is 0; reading v[i] on undef makes v an array.
a[1] = "int"; a["1"] = "str";
display(a[1], " ", a["1"], " ", max_index(a), "\n");
a[NULL] = "zero";
display(a[0], "\n");
display(typeof(u), " ");
x = u[3];
display(typeof(u), " ", typeof(x), "\n");
s = "hello";
display(s[1], " ", typeof(s[1]), " ", s[4], "\n");
display(">", s[5], "<\n");
n = 5;
display(isnull(n[0]), "\n");
display(isnull(a[-1]), "\n");
