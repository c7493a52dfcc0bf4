# eregmatch(): the match and its groups, NULL if none; find_all: TRUE lists every match.
m = eregmatch(string: "OpenSSH_8.9p1 Ubuntu", pattern: "OpenSSH_([0-9.]+)(p[0-9]+)?");
display(max_index(m), " [", m[0], "] [", m[1], "] [", m[2], "]\n");
m = eregmatch(string: "version 10", pattern: "version ([0-9]+)(\.([0-9]+))?");
display(max_index(m), " [", m[1], "] ", isnull(m[2]), isnull(m[3]), "\n");
display(isnull(eregmatch(string: "abc", pattern: "x")), "\n");
all = eregmatch(string: "a1b22c333", pattern: "[0-9]+", find_all: TRUE);
foreach v (all) display(v, " ");
display("\n");
all = eregmatch(string: "k1=v1;k2=v2", pattern: "([a-z0-9]+)=([a-z0-9]+)", find_all: TRUE);
foreach v (all) display(v, " ");
display("\n");
m = eregmatch(string: "ABC", pattern: "b", icase: TRUE);
display(m[0], "\n");
