# exit() ends the whole script from any depth; on_exit() still runs afterwards.
function on_exit() { display("on_exit sees done=", done, "\n"); }
function deep() { display("deep\n"); exit(99); display("never\n"); }
function middle() { deep(); display("never\n"); }
done = "no";
middle();
done = "yes";
display("never\n");
