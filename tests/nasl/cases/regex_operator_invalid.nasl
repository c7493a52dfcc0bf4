# A pattern regcomp() rejects cannot follow =~ (C refuses to parse the file).
if ("x" =~ "a(") display("never\n");
