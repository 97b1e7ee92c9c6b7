/* The compiled core: the two inner loops per byte of dump that Python's `re` cannot make
 * cheap enough (issue 5: < 2.5 client CPU-s per GB).  Optional: every function has a pure-Python
 * twin (parse/sql.py, checksum/hasher.py) that gives identical results, and is used when this
 * module is not built.
 *
 *   run_end(buf, pos, limit, spec, swapped) -> int
 *       End of the longest run of rows `(v,...)` joined by ",\n", starting at `pos`, each value
 *       in the canonical form the checksum can hash as written (spec: one code per column),
 *       ending at or before `limit`; -1 if not even one row.  The twin: the `runs` patterns
 *       of checksum.hasher (a regex per table).
 *   rows_end(buf, pos, limit, backslash, one) -> int
 *       End of the longest run of row tuples `(...)` (strings, one level of nested parentheses)
 *       joined by `\s*,\s*`, within [pos, limit); only the first tuple when `one`; -1 if none.
 *       The twin: the `rows` / `row` patterns of parse/sql.py (the dump scanner).
 *   crc_rows(buf, swapped) -> (count, xor, sum) / crc_list(buf, swapped) -> [crc, ...]
 *       CRC32 of each row of such a run once string escapes are undone (and, for a dump that
 *       quotes with ", the quotes exchanged).  The twin: checksum.hasher.unescape_all + zlib.crc32.
 *
 * spec: bytes, per column a code letter, then for some a number or a member list:
 *   'n' prefix: the column accepts NULL
 *   I integer   D<s>; decimal with s decimals   F<d>; float/double of at most d digits
 *   S string    C char (no trailing space)      T date   M<f>; datetime with f fraction digits
 *   H<f>; time  Y year   E<k>;<len>:<bytes>...  enum with k members
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <zlib.h>

typedef struct {
    const unsigned char *p, *end;  /* text being matched, hard end (limit) */
    unsigned char q;               /* quote character of this style */
} Cur;

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static int lit(Cur *c, const char *s) {
    size_t n = strlen(s);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
        return 0;
    c->p += n;
    return 1;
}

static int digits(Cur *c, int min, int max) {  /* max < 0: no maximum */
    int n = 0;
    while (c->p < c->end && is_digit(*c->p) && (max < 0 || n < max)) {
        c->p++;
        n++;
    }
    return n >= min;
}

/* -?[1-9][0-9]*|0  (no "-0"; "0" followed by a digit fails at the separator check) */
static int v_int(Cur *c) {
    int neg = c->p < c->end && *c->p == '-';
    if (neg)
        c->p++;
    if (c->p < c->end && *c->p == '0') {
        c->p++;
        return !neg;
    }
    if (c->p < c->end && *c->p >= '1' && *c->p <= '9')
        return digits(c, 1, -1);
    return 0;
}

/* -?(?:[1-9][0-9]*|0)(?:\.[0-9]{scale}), but not a negative zero */
static int v_decimal(Cur *c, int scale) {
    int neg = c->p < c->end && *c->p == '-';
    if (neg)
        c->p++;
    if (c->p >= c->end)
        return 0;
    int zero = *c->p == '0';
    if (zero)
        c->p++;
    else if (*c->p >= '1' && *c->p <= '9')
        digits(c, 1, -1);
    else
        return 0;
    int allzero = zero;
    if (scale > 0) {
        if (c->p >= c->end || *c->p != '.')
            return 0;
        c->p++;
        const unsigned char *f = c->p;
        if (!digits(c, scale, scale))
            return 0;
        for (; f < c->p; f++)
            if (*f != '0')
                allzero = 0;
    }
    return !(neg && allzero);  /* -0.00: the server stores 0.00 */
}

/* a DOUBLE/FLOAT literal needing no conversion: fixed notation, no trailing zeros, at most
 * `most` digits (and `most`+1 characters with the point), not negative zero */
static int v_float(Cur *c, int most) {
    const unsigned char *s = c->p;
    int neg = s < c->end && *s == '-';
    const unsigned char *b = s + neg, *e = b;
    while (e < c->end && (is_digit(*e) || *e == '.'))
        e++;
    /* the regex: (?=-?[0-9]{1,most}[,)]|-?[0-9.]{1,most+1}[,)]) then the number itself */
    int len = (int)(e - b), has_dot = memchr(b, '.', (size_t)len) != NULL;
    if (len == 0 || (!has_dot && len > most) || (has_dot && len > most + 1))
        return 0;
    if (e >= c->end || (*e != ',' && *e != ')'))
        return 0;
    const unsigned char *p = b;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < e && is_digit(*p))
            p++;
    else
        return 0;
    int allzero = b[0] == '0';
    if (p < e) {
        if (*p != '.')
            return 0;
        p++;
        const unsigned char *f = p;
        while (p < e && is_digit(*p))
            p++;
        if (p != e || p == f || e[-1] == '0')  /* needs a last non-zero digit */
            return 0;
        for (; f < e; f++)
            if (*f != '0')
                allzero = 0;
    }
    if (p != e)
        return 0;
    if (neg && allzero)
        return 0;
    c->p = e;
    return 1;
}

/* a quoted string whose only escapes are \\ \' \" \0 \n \r \Z, no raw newline; `strict`: no
 * raw quote of either kind (the style that quotes with ") */
static int v_string(Cur *c, int strict, int no_trailing_space) {
    if (c->p >= c->end || *c->p != c->q)
        return 0;
    c->p++;
    unsigned char last = 0;
    while (c->p < c->end) {
        unsigned char ch = *c->p;
        if (ch == c->q) {
            c->p++;
            return !(no_trailing_space && last == ' ');
        }
        if (ch == '\\') {
            if (c->p + 1 >= c->end)
                return 0;
            unsigned char n = c->p[1];
            if (!(n == '\\' || n == '\'' || n == '"' || n == '0' || n == 'n' || n == 'r' || n == 'Z'))
                return 0;
            c->p += 2;
            last = n;
            continue;
        }
        if (ch == '\n' || (strict && (ch == '\'' || ch == '"')))
            return 0;
        last = ch;
        c->p++;
    }
    return 0;
}

static int v_quoted_digits(Cur *c, int fsp, int kind) {  /* kind: 'T' date, 'M' datetime, 'H' time */
    if (c->p >= c->end || *c->p != c->q)
        return 0;
    c->p++;
    if (kind == 'H') {
        const unsigned char *s = c->p;
        if ((size_t)(c->end - s) >= 9 && memcmp(s, "-00:00:00", 9) == 0)
            return 0;
        if (c->p < c->end && *c->p == '-')
            c->p++;
        if (!digits(c, 2, 3) || !lit(c, ":") || !digits(c, 2, 2) || !lit(c, ":") || !digits(c, 2, 2))
            return 0;
    } else {
        if (!digits(c, 4, 4) || !lit(c, "-") || !digits(c, 2, 2) || !lit(c, "-") || !digits(c, 2, 2))
            return 0;
        if (kind == 'M' && (!lit(c, " ") || !digits(c, 2, 2) || !lit(c, ":") || !digits(c, 2, 2) ||
                            !lit(c, ":") || !digits(c, 2, 2)))
            return 0;
    }
    if (fsp > 0 && (!lit(c, ".") || !digits(c, fsp, fsp)))
        return 0;
    if (c->p >= c->end || *c->p != c->q)
        return 0;
    c->p++;
    return 1;
}

static long number(const unsigned char **s, const unsigned char *end) {
    long n = 0;
    while (*s < end && is_digit(**s))
        n = n * 10 + (*(*s)++ - '0');
    if (*s < end && **s == ';')
        (*s)++;
    return n;
}

/* one value of the column whose spec starts at *sp; advances both */
static int value(Cur *c, const unsigned char **sp, const unsigned char *send, int strict) {
    int nullable = 0;
    if (*sp < send && **sp == 'n') {
        nullable = 1;
        (*sp)++;
    }
    if (*sp >= send)
        return 0;
    unsigned char code = *(*sp)++;
    long arg = 0;
    const unsigned char *members = NULL;
    if (code == 'D' || code == 'F' || code == 'M' || code == 'H')
        arg = number(sp, send);
    if (code == 'E') {
        arg = number(sp, send);
        members = *sp;
        for (long k = 0; k < arg; k++) {
            long len = number(sp, send);
            *sp += len;
        }
    }
    if (nullable && (size_t)(c->end - c->p) >= 4 && memcmp(c->p, "NULL", 4) == 0) {
        c->p += 4;
        return 1;
    }
    switch (code) {
    case 'I': return v_int(c);
    case 'D': return v_decimal(c, (int)arg);
    case 'F': return v_float(c, (int)arg);
    case 'S': return v_string(c, strict, 0);
    case 'C': return v_string(c, strict, 1);
    case 'T': return v_quoted_digits(c, 0, 'T');
    case 'M': return v_quoted_digits(c, (int)arg, 'M');
    case 'H': return v_quoted_digits(c, (int)arg, 'H');
    case 'Y':
        if ((size_t)(c->end - c->p) < 4 || !(lit(c, "19") || lit(c, "20") || lit(c, "21")))
            return 0;
        return digits(c, 2, 2);
    case 'E': {
        /* the longest member that matches, then the closing quote */
        if (c->p >= c->end || *c->p != c->q)
            return 0;
        const unsigned char *start = c->p + 1, *m = members;
        long best = -1;
        for (long k = 0; k < arg; k++) {
            long len = number(&m, send);
            if ((size_t)(c->end - start) > (size_t)len && memcmp(start, m, (size_t)len) == 0 &&
                start[len] == c->q && len > best)
                best = len;
            m += len;
        }
        if (best < 0)
            return 0;
        c->p = start + best + 1;
        return 1;
    }
    }
    return 0;
}

static int row(Cur *c, const unsigned char *spec, Py_ssize_t nspec, int strict) {
    const unsigned char *sp = spec, *send = spec + nspec;
    if (c->p >= c->end || *c->p != '(')
        return 0;
    c->p++;
    int first = 1;
    while (sp < send) {
        if (!first) {
            if (c->p >= c->end || *c->p != ',')
                return 0;
            c->p++;
        }
        first = 0;
        if (!value(c, &sp, send, strict))
            return 0;
    }
    if (c->p >= c->end || *c->p != ')')
        return 0;
    c->p++;
    return 1;
}

static PyObject *run_end(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t pos, limit;
    const char *spec;
    Py_ssize_t nspec;
    int swapped;
    if (!PyArg_ParseTuple(args, "y*nny#p", &buf, &pos, &limit, &spec, &nspec, &swapped))
        return NULL;
    if (limit > buf.len)
        limit = buf.len;
    Py_ssize_t result = -1;
    Cur c = {(const unsigned char *)buf.buf + pos, (const unsigned char *)buf.buf + limit, swapped ? '"' : '\''};
    if (pos < limit) {
        Py_BEGIN_ALLOW_THREADS
        const unsigned char *good = NULL;
        while (row(&c, (const unsigned char *)spec, nspec, swapped)) {
            good = c.p;
            if (c.end - c.p < 2 || c.p[0] != ',' || c.p[1] != '\n')
                break;
            c.p += 2;
        }
        if (good)
            result = good - (const unsigned char *)buf.buf;
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&buf);
    return PyLong_FromSsize_t(result);
}

/* ------------------------------------------------------------------ the generic scanner */

/* a quoted string at b[i] (the quote): index just past it, or -1 if it does not end before n */
static Py_ssize_t skip_string(const unsigned char *b, Py_ssize_t i, Py_ssize_t n, int backslash) {
    unsigned char q = b[i++];
    while (i < n) {
        unsigned char ch = b[i];
        if (ch == '\\' && backslash) {
            if (i + 1 >= n)
                return -1;
            i += 2;
        } else if (ch == q) {
            if (i + 1 < n && b[i + 1] == q)
                i += 2;  /* a doubled quote stands for itself */
            else
                return i + 1;
        } else {
            i++;
        }
    }
    return -1;
}

/* a tuple at b[i] (the "("): index just past its ")", or -1 */
static Py_ssize_t skip_tuple(const unsigned char *b, Py_ssize_t i, Py_ssize_t n, int backslash) {
    if (i >= n || b[i] != '(')
        return -1;
    i++;
    int depth = 1;
    while (i < n) {
        unsigned char ch = b[i];
        if (ch == '\'' || ch == '"') {
            i = skip_string(b, i, n, backslash);
            if (i < 0)
                return -1;
        } else if (ch == '(') {
            if (depth == 2)
                return -1;  /* the scanner allows one level of nesting (function calls) */
            depth++;
            i++;
        } else if (ch == ')') {
            i++;
            if (--depth == 0)
                return i;
        } else {
            i++;
        }
    }
    return -1;
}

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static PyObject *rows_end(PyObject *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t pos, limit;
    int backslash, one;
    if (!PyArg_ParseTuple(args, "y*nnpp", &buf, &pos, &limit, &backslash, &one))
        return NULL;
    if (limit > buf.len)
        limit = buf.len;
    const unsigned char *b = buf.buf;
    Py_ssize_t end = -1;
    Py_BEGIN_ALLOW_THREADS
    Py_ssize_t i = pos < limit ? skip_tuple(b, pos, limit, backslash) : -1;
    while (i >= 0) {
        end = i;
        if (one)
            break;
        Py_ssize_t j = i;
        while (j < limit && is_space(b[j]))
            j++;
        if (j >= limit || b[j] != ',')
            break;
        j++;
        while (j < limit && is_space(b[j]))
            j++;
        i = skip_tuple(b, j, limit, backslash);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return PyLong_FromSsize_t(end);
}

/* ------------------------------------------------------------------ the checksum's CRCs */

/* CRC32 of each row of a validated run, escapes undone; calls `emit` per row.  Rows are
 * joined by ",\n" and hold no other newline (validated), so memchr finds them; a row without
 * a backslash (and not to be re-quoted) is hashed in place. */
static void crcs(const unsigned char *p, const unsigned char *end, int swapped,
                 void (*emit)(void *, unsigned long), void *ctx) {
    unsigned char out[4096];
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *stop = nl ? nl - 1 : end;  /* nl - 1: the "," before the newline */
        uLong crc = crc32(0L, Z_NULL, 0);
        if (!swapped && !memchr(p, '\\', (size_t)(stop - p))) {
            crc = crc32(crc, p, (uInt)(stop - p));
        } else {
            size_t n = 0;
            for (const unsigned char *q = p; q < stop;) {
                unsigned char ch = *q++;
                if (ch == '\\' && q < stop) {
                    unsigned char e = *q++;
                    switch (e) {
                    case '0': ch = 0; break;
                    case 'n': ch = '\n'; break;
                    case 'r': ch = '\r'; break;
                    case 'Z': ch = 26; break;
                    default: ch = e;  /* \\ \' \" stand for themselves */
                    }
                } else if (swapped && (ch == '"' || ch == '\'')) {
                    ch = ch == '"' ? '\'' : '"';  /* the dump quoted with ": canonical text uses ' */
                }
                out[n++] = ch;
                if (n == sizeof out) {
                    crc = crc32(crc, out, (uInt)n);
                    n = 0;
                }
            }
            crc = crc32(crc, out, (uInt)n);
        }
        emit(ctx, crc);
        p = nl ? nl + 1 : end;
    }
}

typedef struct { unsigned long long count, x, sum; } Agg;

static void agg_emit(void *ctx, unsigned long crc) {
    Agg *a = ctx;
    a->count++;
    a->x ^= crc;
    a->sum += crc;
}

static PyObject *crc_rows(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int swapped;
    if (!PyArg_ParseTuple(args, "y*p", &buf, &swapped))
        return NULL;
    Agg a = {0, 0, 0};
    Py_BEGIN_ALLOW_THREADS
    crcs(buf.buf, (const unsigned char *)buf.buf + buf.len, swapped, agg_emit, &a);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return Py_BuildValue("(KKK)", a.count, a.x, a.sum);
}

typedef struct { PyObject *list; int failed; } Lst;

static void list_emit(void *ctx, unsigned long crc) {
    Lst *l = ctx;
    if (l->failed)
        return;
    PyObject *v = PyLong_FromUnsignedLong(crc);
    if (!v || PyList_Append(l->list, v) < 0)
        l->failed = 1;
    Py_XDECREF(v);
}

static PyObject *crc_list(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int swapped;
    if (!PyArg_ParseTuple(args, "y*p", &buf, &swapped))
        return NULL;
    Lst l = {PyList_New(0), 0};
    if (l.list)
        crcs(buf.buf, (const unsigned char *)buf.buf + buf.len, swapped, list_emit, &l);
    PyBuffer_Release(&buf);
    if (l.failed) {
        Py_XDECREF(l.list);
        return NULL;
    }
    return l.list;
}

static PyMethodDef methods[] = {
    {"run_end", run_end, METH_VARARGS, "End of the longest run of canonical rows joined by ',\\n'."},
    {"rows_end", rows_end, METH_VARARGS, "End of the longest run of row tuples (the dump scanner)."},
    {"crc_rows", crc_rows, METH_VARARGS, "(count, xor, sum) of the rows' CRC32s, escapes undone."},
    {"crc_list", crc_list, METH_VARARGS, "The rows' CRC32s, escapes undone."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};

PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
