# Outside any function, break ends the script's main part; on_exit() still runs.
function on_exit() { display("on_exit\n"); }
display("before\n");
if (TRUE) { break; }
display("never\n");
