# Dynamic scoping (nasl.md §2.4): a callee sees its caller's variables; unknown names are local.
function reader() { return secret; }
function caller() { local_var secret; secret = "caller's"; return reader(); }
secret = "global";
display(caller(), " ", reader(), "\n");
function writer() { fresh = "local"; counter = counter + 1; }
counter = 10;
writer();
display(isnull(fresh), " ", counter, "\n");
function outer() { local_var counter; counter = 0; writer(); return counter; }
display(outer(), " ", counter, "\n");
