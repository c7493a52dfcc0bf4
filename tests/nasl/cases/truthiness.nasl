# Truth (cell2bool): the string "0" is TRUE in C, as is every array, even an empty one.
function t(v) { if (v) return "T"; return "F"; }
display(t(v:"0"), t(v:'0'), t(v:""), t(v:0), t(v:-1), t(v:NULL), t(v:make_list()), t(v:"00"), "\n");
display(!"0", " ", !"", " ", !make_list(), "\n");
