# POSIX regexec finds the leftmost-longest match: among alternatives that match at the same
# place, the one that makes the whole match longest wins, whatever their order.
m = eregmatch(string: "Server: Apache-Coyote/1.1", pattern: "Server: (Apache|Apache-Coyote)");
display("[", m[1], "]\n");
display(ereg_replace(string: "abc", pattern: "a|ab", replace: "X"), "\n");
m = eregmatch(string: "xyz", pattern: "(x|xy|xyz)");
display("[", m[0], "]\n");
# Leftmost first: a longer match further on does not beat an earlier one.
m = eregmatch(string: "ab aaaa", pattern: "a+");
display("[", m[0], "]\n");
# The =~ operator only asks whether there is a match: the same either way.
if ("Apache-Coyote" =~ "^(Apache|Apache-Coyote)$") display("matches\n");
