# Positional arguments reach a user function only through _FCT_ANON_ARGS (nasl.md §2.4).
function count() { return max_index(_FCT_ANON_ARGS); }
function second() { return _FCT_ANON_ARGS[1]; }
function named_only(a) { return typeof(a); }
display(count(), " ", count(1, 2, 3), " ", second("x", "y"), " ", isnull(second("x")), "\n");
display(named_only(5), " ", named_only(a: 5), "\n");
display(isnull(_FCT_ANON_ARGS[0]), " ", typeof(_FCT_ANON_ARGS), "\n");
function mixed(n) { return n + ":" + _FCT_ANON_ARGS[0]; }
display(mixed("p", n: "named"), "\n");
