# Messages from included code name the included file and its line.
include("lib_faulty.inc");
x = lib_broken();
display(lib_top, "\n");
y = nosuch_here();
