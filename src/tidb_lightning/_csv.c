/* The CSV scanner behind LOAD DATA LOCAL INFILE (issue 5).  It cuts a CSV buffer into batches
 * of whole rows that the server's LOAD DATA reads exactly as upstream's CSV rules do
 * (parse/csv.py), and computes each row's checksum CRC32 (checksum/forms.py) in the same pass,
 * with no Python per value.  A row on which the two readings could differ stops the batch; the
 * caller sends such rows through the CSV parser and INSERT statements instead.  The twin:
 * parse.csv.CSVParser + TableHasher.crcs_fields (the tests fuzz one against the other).
 *
 *   csv_scan(buf, pos, final, want, max_rows, sep, quote, esc, term, null_ok, ncols, spec, order)
 *       -> (end, rows, crlf, why, crcs)
 *   Rows from buf[pos:] until they hold `want` bytes or `max_rows` rows.  sep: a byte; quote,
 *   esc: a byte or -1 (esc is "\\" or none); term: 0 "\n" or "\r\n" (upstream's default),
 *   1 "\n", 2 "\r\n"; null_ok: a field that is exactly \N is NULL (else such a field stops the
 *   batch); ncols: fields per row; `final`: buf holds the data's end.
 *   end: just after the batch's last row; crlf: its rows end with "\r\n"; why the batch ended:
 *   0 full, 1 the buffer ended (at `final` with end == len(buf): the data is done), 2 the row
 *   at `end` is not one for LOAD DATA, 3 the row at `end` ends with the other terminator.
 *   spec (the checksum's column codes, see _core.c) and order (int32 source field of each
 *   canonical column, or None): crcs, the rows' CRC32s, or None if a value is not canonical.
 */
#include <string.h>
#include <zlib.h>

#include "_core.h"

typedef struct {
    int sep, quote, esc, term, null_ok, ncols;
} Dialect;

typedef struct {
    Py_ssize_t s, e;  /* the field's text, quotes excluded */
    int quoted;
} Field;

enum { ROW_OK, ROW_MORE, ROW_UNSAFE };

/* a terminator at b[i]? 1 (its length in *len), 0 data, -1 need more bytes, -2 a lone "\r"
 * where upstream sees a row end and LOAD DATA does not */
static int term_at(const Dialect *d, const unsigned char *b, Py_ssize_t i, Py_ssize_t n, int final,
                   int *len, int *crlf) {
    if (b[i] == '\n') {
        if (d->term == 2)
            return 0;
        *len = 1;
        *crlf = 0;
        return 1;
    }
    if (b[i] != '\r' || d->term == 1)
        return 0;
    if (i + 1 >= n)
        return final ? (d->term == 2 ? 0 : -2) : -1;
    if (b[i + 1] == '\n') {
        *len = 2;
        *crlf = 1;
        return 1;
    }
    return d->term == 2 ? 0 : -2;
}

/* one row at b[i]: its fields (at most ncols), the index after it, its terminator */
static int scan_row(const Dialect *d, const unsigned char *b, Py_ssize_t i, Py_ssize_t n, int final,
                    Field *f, int *nf, Py_ssize_t *next, int *crlf) {
    int k = 0, len = 0, t;
    for (;;) {
        Field cur = {0, 0, 0};
        if (i < n && d->quote >= 0 && b[i] == d->quote) {
            cur.quoted = 1;
            cur.s = ++i;
            for (;;) {
                if (i >= n)
                    return final ? ROW_UNSAFE : ROW_MORE;
                unsigned char ch = b[i];
                if (ch == d->esc) {
                    if (i + 1 >= n)
                        return final ? ROW_UNSAFE : ROW_MORE;
                    i += 2;
                } else if (ch == d->quote) {
                    if (i + 1 >= n && !final)
                        return ROW_MORE;  /* a doubled quote may follow */
                    if (i + 1 < n && b[i + 1] == d->quote) {
                        i += 2;
                        continue;
                    }
                    cur.e = i++;
                    break;
                } else {
                    i++;
                }
            }
        } else {
            cur.s = i;
            while (i < n) {
                unsigned char ch = b[i];
                if (ch == d->sep)
                    break;
                if (ch == '\n' || ch == '\r') {
                    t = term_at(d, b, i, n, final, &len, crlf);
                    if (t == 1)
                        break;
                    if (t == -1)
                        return ROW_MORE;
                    if (t == -2)
                        return ROW_UNSAFE;
                    i++;
                } else if (ch == d->quote) {
                    return ROW_UNSAFE;  /* upstream: a syntax error; LOAD DATA: a quote */
                } else if (ch == d->esc) {
                    if (i + 1 >= n)
                        return final ? ROW_UNSAFE : ROW_MORE;
                    i += 2;
                } else {
                    i++;
                }
            }
            cur.e = i;
        }
        if (k >= d->ncols)
            return ROW_UNSAFE;
        f[k++] = cur;
        if (i >= n) {
            if (!final)
                return ROW_MORE;
            *nf = k;
            *next = n;
            *crlf = -1;  /* no terminator: the data's last row */
            return ROW_OK;
        }
        if (b[i] == d->sep) {
            i++;
            continue;
        }
        t = term_at(d, b, i, n, final, &len, crlf);
        if (t == -1)
            return ROW_MORE;
        if (t != 1)
            return ROW_UNSAFE;
        *nf = k;
        *next = i + len;
        return ROW_OK;
    }
}

static int is_null(const Dialect *d, const unsigned char *b, const Field *f) {
    return d->esc == '\\' && f->e - f->s == 2 && b[f->s] == '\\' && b[f->s + 1] == 'N';
}

/* rows the two readings could take differently: a field `NULL` (LOAD DATA: NULL; upstream:
 * the text), \N where it is not NULL, a blank line of a one-column file (upstream skips it) */
static int safe_row(const Dialect *d, const unsigned char *b, const Field *f, int nf) {
    if (nf != d->ncols)
        return 0;
    for (int k = 0; k < nf; k++) {
        Py_ssize_t len = f[k].e - f[k].s;
        const unsigned char *p = b + f[k].s;
        if (!f[k].quoted && len == 4 && memcmp(p, "NULL", 4) == 0)
            return 0;
        if (len == 2 && p[0] == '\\' && p[1] == 'N' && !(d->null_ok && d->esc == '\\'))
            return 0;
    }
    if (nf == 1 && !f[0].quoted) {
        for (Py_ssize_t i = f[0].s; i < f[0].e; i++)
            if (b[i] < 0x80 && !(b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')))
                return 1;
        return 0;  /* blank, or only bytes that may be Unicode spaces */
    }
    return 1;
}

/* the field's value: escapes undone, doubled quotes collapsed (in tmp when it has any) */
static void field_value(const Dialect *d, const unsigned char *b, const Field *f, Out *tmp,
                        const unsigned char **p, const unsigned char **stop) {
    const unsigned char *s = b + f->s, *e = b + f->e;
    int plain = 1;
    for (const unsigned char *q = s; q < e; q++)
        if (*q == d->esc || (f->quoted && *q == d->quote)) {
            plain = 0;
            break;
        }
    if (plain) {
        *p = s;
        *stop = e;
        return;
    }
    tmp->n = 0;
    while (s < e) {
        unsigned char ch = *s++;
        if (ch == d->esc && s < e) {
            unsigned char x = *s++;
            ch = x == '0' ? 0 : x == 'b' ? '\b' : x == 'n' ? '\n' : x == 'r' ? '\r' :
                 x == 't' ? '\t' : x == 'Z' ? 26 : x;
        } else if (f->quoted && ch == d->quote) {
            s++;  /* the second of a doubled quote */
        }
        lc_put(tmp, &ch, 1);
    }
    *p = tmp->b;
    *stop = tmp->b + tmp->n;
}

static void skip_spec(const unsigned char **sp, const unsigned char *send) {
    unsigned char code = *(*sp)++;
    if (code == 'D' || code == 'M' || code == 'H')
        lc_number(sp, send);
    if (code == 'E')
        for (long k = lc_number(sp, send); k > 0; k--)
            *sp += lc_number(sp, send);
}

/* the canonical text of one field, as the server will store the string it is sent;
 * 0 if it is not canonical (the caller's Python twin then converts it) */
static int canon_field(const Dialect *d, const unsigned char *b, const Field *f, Out *o, Out *tmp,
                       Out *quoted, const unsigned char **sp, const unsigned char *send) {
    int nullable = *sp < send && **sp == 'n';
    if (nullable)
        (*sp)++;
    if (*sp >= send)
        return 0;
    unsigned char code = **sp;
    if (is_null(d, b, f)) {
        skip_spec(sp, send);
        if (!nullable)
            return 0;
        lc_put(o, "NULL", 4);
        return 1;
    }
    const unsigned char *p, *stop;
    field_value(d, b, f, tmp, &p, &stop);
    if (code == 'S' || code == 'X' || code == 'C') {
        (*sp)++;
        if (code == 'C')
            while (stop > p && stop[-1] == ' ')
                stop--;
        lc_put(o, "'", 1);
        lc_put(o, p, (size_t)(stop - p));
        lc_put(o, "'", 1);
        return 1;
    }
    unsigned char kind;
    if (code == 'T' || code == 'M' || code == 'H' || code == 'E') {
        quoted->n = 0;
        lc_put(quoted, "'", 1);
        lc_put(quoted, p, (size_t)(stop - p));
        lc_put(quoted, "'", 1);
        if (quoted->failed)
            return 0;
        Cur c = {quoted->b, quoted->b + quoted->n, '\''};
        if (!lc_value(&c, sp, send, 1, &kind) || c.p != c.end)
            return 0;
        lc_put(o, quoted->b, quoted->n);
        return 1;
    }
    Cur c = {p, stop, '\''};
    if (!lc_value(&c, sp, send, 1, &kind) || c.p != stop)
        return 0;
    if (kind == 'R' || kind == 'G')
        return lc_put_float(o, p, stop, kind == 'G');
    lc_put(o, p, (size_t)(stop - p));
    return 1;
}

static int canon_row(const Dialect *d, const unsigned char *b, const Field *f, const int *order,
                     Py_ssize_t ncanon, const unsigned char *spec, Py_ssize_t nspec,
                     Out *o, Out *tmp, Out *quoted, unsigned long *crc) {
    const unsigned char *sp = spec, *send = spec + nspec;
    o->n = 0;
    lc_put(o, "(", 1);
    for (Py_ssize_t j = 0; j < ncanon; j++) {
        if (j)
            lc_put(o, ",", 1);
        if (!canon_field(d, b, &f[order ? order[j] : j], o, tmp, quoted, &sp, send))
            return 0;
    }
    lc_put(o, ")", 1);
    if (o->failed || tmp->failed || sp != send)
        return 0;
    *crc = crc32(crc32(0L, Z_NULL, 0), o->b, (uInt)o->n);
    return 1;
}

PyObject *lc_csv_scan(PyObject *self, PyObject *args) {
    Py_buffer buf, ord = {0};
    Py_ssize_t pos, want, max_rows;
    int final;
    Dialect d;
    PyObject *spec_obj, *order_obj;
    if (!PyArg_ParseTuple(args, "y*npnniiiiiiOO", &buf, &pos, &final, &want, &max_rows, &d.sep,
                          &d.quote, &d.esc, &d.term, &d.null_ok, &d.ncols, &spec_obj, &order_obj))
        return NULL;
    const unsigned char *spec = NULL;
    Py_ssize_t nspec = 0, ncanon = d.ncols;
    const int *order = NULL;
    if (spec_obj != Py_None && PyBytes_AsStringAndSize(spec_obj, (char **)&spec, &nspec) < 0)
        goto fail;
    if (order_obj != Py_None) {
        if (PyObject_GetBuffer(order_obj, &ord, PyBUF_SIMPLE) < 0)
            goto fail;
        order = ord.buf;
        ncanon = ord.len / (Py_ssize_t)sizeof(int);
        for (Py_ssize_t j = 0; j < ncanon; j++)
            if (order[j] < 0 || order[j] >= d.ncols) {
                PyErr_SetString(PyExc_ValueError, "order names a field beyond ncols");
                goto fail;
            }
    }
    if (d.ncols < 1 || d.esc == d.quote || d.sep == d.quote || d.sep == d.esc) {
        PyErr_SetString(PyExc_ValueError, "csv_scan: not a dialect for LOAD DATA");
        goto fail;
    }
    Field *f = PyMem_Malloc(sizeof(Field) * (size_t)d.ncols);
    PyObject *crcs = spec ? PyList_New(0) : NULL;
    if (!f || (spec && !crcs)) {
        PyMem_Free(f);
        Py_XDECREF(crcs);
        PyErr_NoMemory();
        goto fail;
    }
    Out o = {0}, tmp = {0}, quoted = {0};
    const unsigned char *b = buf.buf;
    Py_ssize_t n = buf.len, i = pos, end = pos, rows = 0;
    int why = 1, batch_crlf = -2, canonical = spec != NULL;
    while (i < n) {
        int nf = 0, crlf = 0;
        Py_ssize_t next = i;
        int r = scan_row(&d, b, i, n, final, f, &nf, &next, &crlf);
        if (r == ROW_MORE)
            break;
        if (r == ROW_UNSAFE || !safe_row(&d, b, f, nf)) {
            why = 2;
            break;
        }
        if (crlf >= 0) {
            if (batch_crlf == -2)
                batch_crlf = crlf;
            else if (crlf != batch_crlf) {
                why = 3;
                break;
            }
        }
        if (canonical) {
            unsigned long crc;
            if (!canon_row(&d, b, f, order, ncanon, spec, nspec, &o, &tmp, &quoted, &crc)) {
                canonical = 0;
                Py_CLEAR(crcs);
            } else {
                PyObject *v = PyLong_FromUnsignedLong(crc);
                if (!v || PyList_Append(crcs, v) < 0) {
                    Py_XDECREF(v);
                    why = -1;
                    break;
                }
                Py_DECREF(v);
            }
        }
        rows++;
        end = i = next;
        if (end - pos >= want || rows >= max_rows) {
            why = 0;
            break;
        }
    }
    PyMem_Free(f);
    PyMem_Free(o.b);
    PyMem_Free(tmp.b);
    PyMem_Free(quoted.b);
    if (ord.obj)
        PyBuffer_Release(&ord);
    PyBuffer_Release(&buf);
    if (why < 0 || PyErr_Occurred()) {
        Py_XDECREF(crcs);
        return NULL;
    }
    return Py_BuildValue("nniiN", end, rows, batch_crlf == 1, why, crcs ? crcs : Py_NewRef(Py_None));
fail:
    if (ord.obj)
        PyBuffer_Release(&ord);
    PyBuffer_Release(&buf);
    return NULL;
}
