# A parameter left out is not declared: it is undef, unless a calling context has the name.
function show(v) { if (isnull(v)) return "undef"; return v; }
display(show(), "\n");
v = "from the caller";
display(show(), "\n");
function wrapper() { local_var v; v = "wrapper local"; return show(); }
display(wrapper(), " ", show(v: "given"), "\n");
