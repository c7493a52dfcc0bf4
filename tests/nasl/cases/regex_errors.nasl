# A pattern regcomp() rejects: the built-ins warn and give NULL (ereg_replace silently).
display(isnull(egrep(string: "x", pattern: "a{")), isnull(eregmatch(string: "x", pattern: "[[:nope:]]")), "\n");
display(isnull(ereg_replace(string: "x", pattern: "*", replace: "")), "\n");
