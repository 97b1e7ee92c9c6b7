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
 *   crc_canon(buf, spec, swapped) -> [crc, ...] | None
 *       The same for runs with converted columns (R, G, X), or None if a row is not as the
 *       spec says.  The twin: the hasher's per-column converters (checksum.forms).
 *   csv_scan(...): the CSV scanner for LOAD DATA, in _csv.c.
 *   crc_list(buf, swapped) -> [crc, ...]
 *       CRC32 of each row of such a run once string escapes are undone (and, for a dump that
 *       quotes with ", the quotes exchanged).  The twin: checksum.hasher.unescape_all + zlib.crc32.
 *
 * spec: bytes, per column a code letter, then for some a number or a member list:
 *   'n' prefix: the column accepts NULL
 *   I integer   D<s>; decimal with s decimals   S string   C char (no trailing space)
 *   T date      M<f>; datetime with f fraction digits       H<f>; time   Y year
 *   E<k>;<len>;<bytes>...  enum with k members
 *   converted (crc_canon only; run_end just checks their syntax):
 *   R double, G float: any plain number, written as the server does   X binary: 0x... or a string
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "_core.h"


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
        const unsigned char *h = c->p;  /* hours: 2 digits, or 3 from 100 to 8xx (no leading 0) */
        if (!digits(c, 2, 3) || (c->p - h == 3 && (*h < '1' || *h > '8')))
            return 0;
        if (!lit(c, ":") || !digits(c, 2, 2) || !lit(c, ":") || !digits(c, 2, 2))
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

long lc_number(const unsigned char **s, const unsigned char *end) {
    long n = 0;
    while (*s < end && is_digit(**s))
        n = n * 10 + (*(*s)++ - '0');
    if (*s < end && **s == ';')
        (*s)++;
    return n;
}

/* one value of the column whose spec starts at *sp; advances both */
/* a plain number literal: -?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)? */
static int v_number(Cur *c) {
    if (c->p < c->end && *c->p == '-')
        c->p++;
    const unsigned char *s = c->p;
    while (c->p < c->end && is_digit(*c->p))
        c->p++;
    int before = (int)(c->p - s);
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        const unsigned char *f = c->p;
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
        if (!before && c->p == f)
            return 0;
    } else if (!before) {
        return 0;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        const unsigned char *e = c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!digits(c, 1, -1))
            c->p = e;  /* the regex's optional exponent: not taken */
    }
    return 1;
}

static int is_hex(unsigned char ch) {
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

int lc_value(Cur *c, const unsigned char **sp, const unsigned char *send, int strict,
                 unsigned char *kind) {
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
    if (code == 'D' || code == 'M' || code == 'H')
        arg = lc_number(sp, send);
    if (code == 'E') {
        arg = lc_number(sp, send);
        members = *sp;
        for (long k = 0; k < arg; k++) {
            long len = lc_number(sp, send);
            *sp += len;
        }
    }
    *kind = code;
    if (nullable && (size_t)(c->end - c->p) >= 4 && memcmp(c->p, "NULL", 4) == 0) {
        c->p += 4;
        *kind = 'N';
        return 1;
    }
    switch (code) {
    case 'R': case 'G': return v_number(c);
    case 'X':
        if ((size_t)(c->end - c->p) >= 3 && c->p[0] == '0' && c->p[1] == 'x' && is_hex(c->p[2])) {
            c->p += 2;
            while (c->p < c->end && is_hex(*c->p))
                c->p++;
            return 1;
        }
        return v_string(c, strict, 0);
    case 'I': return v_int(c);
    case 'D': return v_decimal(c, (int)arg);
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
            long len = lc_number(&m, send);
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

void lc_put(Out *o, const void *src, size_t n) {
    if (o->failed)
        return;
    if (o->n + n > o->cap) {
        size_t cap = (o->cap ? o->cap * 2 : 4096) + n;
        unsigned char *b = PyMem_Realloc(o->b, cap);
        if (!b) {
            o->failed = 1;
            return;
        }
        o->b = b;
        o->cap = cap;
    }
    memcpy(o->b + o->n, src, n);
    o->n += n;
}

/* the text of a validated value with escapes undone (and quotes exchanged for a dump that
 * quoted with ") */
static void put_unescaped(Out *o, const unsigned char *p, const unsigned char *stop, int swapped) {
    while (p < stop) {
        const unsigned char *q = p;
        while (q < stop && *q != '\\' && !(swapped && (*q == '"' || *q == '\'')))
            q++;
        lc_put(o, p, (size_t)(q - p));
        if (q >= stop)
            return;
        unsigned char ch = *q++;
        if (ch == '\\' && q < stop) {
            unsigned char e = *q++;
            ch = e == '0' ? 0 : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 'Z' ? 26 : e;
        } else if (ch == '"' || ch == '\'') {
            ch = ch == '"' ? '\'' : '"';
        }
        lc_put(o, &ch, 1);
        p = q;
    }
}

/* the server's text of a DOUBLE (or FLOAT: the float32 value to 6 digits): the digits of
 * Python's repr (or "%.6g"), fixed notation for decimal exponents -14..14 (15 with 17 digits),
 * else d.ddde<N>; the twin is checksum.forms.float_text */
/* a literal that already is the server's text: fixed notation, at most DBL_DIG (FLT_DIG)
 * significant digits, decimal exponent within -14..14, no superfluous zero, not -0 (no two
 * decimals of that many digits share a binary value, so its digits are the shortest) */
static int as_written(const unsigned char *p, const unsigned char *stop, int most) {
    const unsigned char *s = p + (p < stop && *p == '-');
    const unsigned char *dot = memchr(s, '.', (size_t)(stop - s));
    const unsigned char *iend = dot ? dot : stop;
    if (iend == s || (iend - s > 1 && *s == '0') || iend - s > 15)
        return 0;
    int sig = 0, lead = 0, nonzero = 0;
    for (const unsigned char *q = s; q < stop; q++) {
        if (q == dot)
            continue;
        if (!is_digit(*q))
            return 0;  /* an exponent: let the general path decide */
        if (*q != '0')
            nonzero = 1;
        if (nonzero)
            sig++;
        else if (dot && q > dot)
            lead++;
    }
    if (dot && (dot + 1 == stop || stop[-1] == '0'))
        return 0;
    if (!nonzero)
        return !dot && s == p && iend - s == 1;  /* just "0" */
    if (sig > most || lead > 13)
        return 0;
    return 1;
}

int lc_put_float(Out *o, const unsigned char *p, const unsigned char *stop, int single) {
    if (as_written(p, stop, single ? 6 : 15)) {
        lc_put(o, p, (size_t)(stop - p));
        return 1;
    }
    char lit[80];
    size_t n = (size_t)(stop - p);
    if (n >= sizeof lit)
        return 0;
    memcpy(lit, p, n);
    lit[n] = 0;
    char *end;
    double d = PyOS_string_to_double(lit, &end, NULL);
    if (d == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return 0;
    }
    if (end != lit + n || !isfinite(d))
        return 0;
    if (single) {
        float f = (float)d;
        if (!isfinite(f))
            return 0;
        d = f;
    }
    if (d == 0) {
        lc_put(o, "0", 1);
        return 1;
    }
    char *text = single ? PyOS_double_to_string(d, 'g', 6, 0, NULL) : PyOS_double_to_string(d, 'r', 0, 0, NULL);
    if (!text)
        return 0;
    /* [-]mantissa[e[+-]exp] -> sign, significant digits, decimal exponent of the first one */
    const char *t = text;
    int neg = *t == '-';
    if (neg)
        t++;
    char ds[40];
    int nd = 0, ip = 0, seen_point = 0, exp = 0, lead = 0;
    for (; *t && *t != 'e'; t++) {
        if (*t == '.') {
            seen_point = 1;
            continue;
        }
        if (!seen_point)
            ip++;
        if (nd == 0 && *t == '0') {
            lead++;
            continue;
        }
        if (nd < (int)sizeof ds)
            ds[nd++] = *t;
    }
    if (*t == 'e')
        exp = atoi(t + 1);
    PyMem_Free(text);
    while (nd > 0 && ds[nd - 1] == '0')
        nd--;
    int e = ip + exp - 1 - lead;
    char buf[400];
    int k = 0;
    if (neg)
        buf[k++] = '-';
    if ((-14 <= e && e <= 14) || (e == 15 && nd >= 17)) {
        if (e >= nd - 1) {
            for (int i = 0; i < nd; i++) buf[k++] = ds[i];
            for (int i = 0; i < e - nd + 1; i++) buf[k++] = '0';
        } else if (e >= 0) {
            for (int i = 0; i <= e; i++) buf[k++] = ds[i];
            buf[k++] = '.';
            for (int i = e + 1; i < nd; i++) buf[k++] = ds[i];
        } else {
            buf[k++] = '0';
            buf[k++] = '.';
            for (int i = 0; i < -e - 1; i++) buf[k++] = '0';
            for (int i = 0; i < nd; i++) buf[k++] = ds[i];
        }
    } else {
        buf[k++] = ds[0];
        if (nd > 1) {
            buf[k++] = '.';
            for (int i = 1; i < nd; i++) buf[k++] = ds[i];
        }
        k += snprintf(buf + k, sizeof buf - (size_t)k, "e%d", e);
    }
    lc_put(o, buf, (size_t)k);
    return 1;
}

static int hexval(unsigned char ch) {
    return is_digit(ch) ? ch - '0' : (ch | 0x20) - 'a' + 10;
}

/* one row; with `o`, also its canonical text (NULL `o`: validation only, no GIL needed) */
static int row(Cur *c, const unsigned char *spec, Py_ssize_t nspec, int strict, Out *o) {
    const unsigned char *sp = spec, *send = spec + nspec;
    if (c->p >= c->end || *c->p != '(')
        return 0;
    c->p++;
    if (o)
        lc_put(o, "(", 1);
    int first = 1;
    while (sp < send) {
        if (!first) {
            if (c->p >= c->end || *c->p != ',')
                return 0;
            c->p++;
            if (o)
                lc_put(o, ",", 1);
        }
        first = 0;
        const unsigned char *v = c->p;
        unsigned char kind = 0;
        if (!lc_value(c, &sp, send, strict, &kind))
            return 0;
        if (!o)
            continue;
        if (kind == 'R' || kind == 'G') {
            if (!lc_put_float(o, v, c->p, kind == 'G'))
                return 0;
        } else if (kind == 'X' && *v == '0') {  /* 0x... -> the bytes, quoted */
            const unsigned char *h = v + 2;
            size_t nbytes = (size_t)(c->p - h + 1) / 2;
            lc_put(o, "'", 1);
            lc_put(o, h, nbytes);  /* room for the bytes, overwritten below */
            if (o->failed)
                return 0;
            unsigned char *w = o->b + o->n - nbytes;
            if ((c->p - h) % 2)
                *w++ = (unsigned char)hexval(*h++);
            for (; h < c->p; h += 2)
                *w++ = (unsigned char)(hexval(h[0]) << 4 | hexval(h[1]));
            lc_put(o, "'", 1);
        } else {
            put_unescaped(o, v, c->p, strict);
        }
    }
    if (c->p >= c->end || *c->p != ')')
        return 0;
    c->p++;
    if (o)
        lc_put(o, ")", 1);
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
        while (row(&c, (const unsigned char *)spec, nspec, swapped, NULL)) {
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

/* CRC32 of each row of a validated run, escapes undone.  Rows are joined by ",\n" and hold
 * no other newline (validated), so memchr finds them; a row without a backslash (and not to
 * be re-quoted) is hashed in place. */
static PyObject *crc_list(PyObject *self, PyObject *args) {
    Py_buffer buf;
    int swapped;
    if (!PyArg_ParseTuple(args, "y*p", &buf, &swapped))
        return NULL;
    PyObject *list = PyList_New(0);
    Out o = {NULL, 0, 0, 0};
    const unsigned char *p = buf.buf, *end = p + buf.len;
    while (list && p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        const unsigned char *stop = nl ? nl - 1 : end;  /* nl - 1: the "," before the newline */
        uLong crc = crc32(0L, Z_NULL, 0);
        if (!swapped && !memchr(p, '\\', (size_t)(stop - p))) {
            crc = crc32(crc, p, (uInt)(stop - p));
        } else {
            o.n = 0;
            put_unescaped(&o, p, stop, swapped);
            if (o.failed) {
                Py_CLEAR(list);
                PyErr_NoMemory();
                break;
            }
            crc = crc32(crc, o.b, (uInt)o.n);
        }
        PyObject *v = PyLong_FromUnsignedLong(crc);
        if (!v || PyList_Append(list, v) < 0)
            Py_CLEAR(list);
        Py_XDECREF(v);
        p = nl ? nl + 1 : end;
    }
    PyMem_Free(o.b);
    PyBuffer_Release(&buf);
    return list;
}

/* CRC32s of the canonical text of each row of a batch of runs (rows joined by ",\n"), values
 * converted where the spec says (R, G, X); None if a row is not as the spec says */
static PyObject *crc_canon(PyObject *self, PyObject *args) {
    Py_buffer buf;
    const char *spec;
    Py_ssize_t nspec;
    int swapped;
    if (!PyArg_ParseTuple(args, "y*y#p", &buf, &spec, &nspec, &swapped))
        return NULL;
    PyObject *list = PyList_New(0);
    Out o = {NULL, 0, 0, 0};
    Cur c = {buf.buf, (const unsigned char *)buf.buf + buf.len, swapped ? '"' : '\''};
    while (list) {
        o.n = 0;
        if (!row(&c, (const unsigned char *)spec, nspec, swapped, &o) || o.failed) {
            Py_CLEAR(list);
            break;
        }
        PyObject *v = PyLong_FromUnsignedLong(crc32(crc32(0L, Z_NULL, 0), o.b, (uInt)o.n));
        if (!v || PyList_Append(list, v) < 0) {
            Py_XDECREF(v);
            Py_CLEAR(list);
            break;
        }
        Py_DECREF(v);
        if (c.p >= c.end)
            break;
        if (c.end - c.p < 2 || c.p[0] != ',' || c.p[1] != '\n') {
            Py_CLEAR(list);
            break;
        }
        c.p += 2;
    }
    PyMem_Free(o.b);
    PyBuffer_Release(&buf);
    if (!list && PyErr_Occurred())
        return NULL;
    if (!list)
        Py_RETURN_NONE;
    return list;
}

static PyMethodDef methods[] = {
    {"crc_canon", crc_canon, METH_VARARGS, "CRC32s of the rows' canonical text, converting values; None if not canonical."},
    {"run_end", run_end, METH_VARARGS, "End of the longest run of canonical rows joined by ',\\n'."},
    {"rows_end", rows_end, METH_VARARGS, "End of the longest run of row tuples (the dump scanner)."},
    {"crc_list", crc_list, METH_VARARGS, "The rows' CRC32s, escapes undone."},
    {"csv_scan", lc_csv_scan, METH_VARARGS, "A batch of CSV rows for LOAD DATA, and their CRC32s (_csv.c)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_core", NULL, -1, methods};

PyMODINIT_FUNC PyInit__core(void) { return PyModule_Create(&module); }
