/* What the compiled core's two files share (_core.c: the dump scanner and the checksum of SQL
 * rows; _csv.c: the CSV scanner for LOAD DATA).  Hidden: not exported from the module. */
#ifndef TIDB_LIGHTNING_CORE_H
#define TIDB_LIGHTNING_CORE_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define LC_HIDDEN __attribute__((visibility("hidden")))

typedef struct {
    const unsigned char *p, *end;  /* text being matched, hard end (limit) */
    unsigned char q;               /* quote character of this style */
} Cur;

typedef struct { unsigned char *b; size_t n, cap; int failed; } Out;

/* one SQL literal of the column whose spec starts at *sp (see _core.c); advances both */
LC_HIDDEN int lc_value(Cur *c, const unsigned char **sp, const unsigned char *send, int strict,
                       unsigned char *kind);
LC_HIDDEN void lc_put(Out *o, const void *src, size_t n);
/* a spec's number ("12;"): advances *s past it and its ';' */
LC_HIDDEN long lc_number(const unsigned char **s, const unsigned char *end);
/* the server's text of the number [p, stop) as a DOUBLE (FLOAT if `single`); 0 if it is none */
LC_HIDDEN int lc_put_float(Out *o, const unsigned char *p, const unsigned char *stop, int single);

LC_HIDDEN PyObject *lc_csv_scan(PyObject *self, PyObject *args);

#endif
