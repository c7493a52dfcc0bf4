# >< and >!< test whether the left side occurs in the right one, byte for byte.
display("b" >< "abc", " ", "x" >< "abc", " ", "x" >!< "abc", " ", "" >< "abc", " ", "abc" >< "ab", "\n");
display('a\0b' >< 'xa\0by', " ", 1 >< "a1b", " ", NULL >< "a", " ", "a" >< NULL, "\n");
