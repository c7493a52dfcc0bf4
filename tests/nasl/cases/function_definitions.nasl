# Functions exist once their definition has run; a second definition is refused.
display(defined_func("later"), "\n");
early = later();
function later() { return "first"; }
display(defined_func("later"), " ", later(), "\n");
function later() { return "second"; }
display(later(), "\n");
function strlen(s) { return 0; }
display(strlen("abc"), " ", defined_func("strlen"), " ", defined_func("nosuch"), "\n");
