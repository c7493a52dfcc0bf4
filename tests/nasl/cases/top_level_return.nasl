# return outside any function ends the script's main part, as break does.
function on_exit() { display("on_exit\n"); }
display("before\n");
return;
display("never\n");
