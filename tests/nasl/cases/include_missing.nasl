# A missing include ends the script (C refuses to parse it; ixion stops at the include).
include("no_such_file.inc");
display("never\n");
