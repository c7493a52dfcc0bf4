# local_var declares in the current function, global_var in the script's top context.
x = "global x";
function f() { local_var x; x = "local x"; return x; }
display(f(), " | ", x, "\n");
function g() { global_var y; y = "set by g"; }
g();
display(y, "\n");
function h() { local_var z; return typeof(z); }
z = 5;
display(h(), " ", z, "\n");
local_var top; global_var top;
display(typeof(top), "\n");
function k() { global_var x; x = "k wrote"; }
function m() { local_var x; k(); return x; }
display(m(), " | ", x, "\n");
