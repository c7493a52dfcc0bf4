# include() runs the file where it stands (nasl.md §2.5): functions exist after it, not before.
display(defined_func("lib_hello"), "\n");
include("lib_counter.inc");
display(lib_hello(name: "world"), "\n");
include('lib_counter.inc');
display("included ", included_times, " times\n");
