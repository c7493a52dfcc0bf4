# =~ and !~: case-insensitive extended regex on a literal pattern (nasl.md §2.2).
banner = "Server: Apache/2.4.1 (Unix)";
display(banner =~ "apache/[0-9]+\.[0-9]", " ", banner !~ "nginx", " ", banner =~ "^server: [[:alpha:]]+/", "\n");
display(1234 =~ "^[0-9]{4}$", " ", 'a\nb' =~ "^a.b$", " ", "abc" =~ "^b", "\n");
display(isnull(undefined_var =~ "x"), " ", isnull(undefined_var !~ "x"), "\n");
