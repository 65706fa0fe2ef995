/* The text protocol of the conformance suite's C programs (c_driver/driver.c, a plugin;
 * c_host/host.c, a host): strings travel as "x" followed by their bytes in hex, so that
 * names with blanks or any byte survive the blank-separated scenario lines. */
#ifndef COMIN_CONFORMANCE_TEXT_PROTOCOL_H
#define COMIN_CONFORMANCE_TEXT_PROTOCOL_H

#include <stdio.h>

/* s[0..len) as "x<hex bytes>" onto f */
static void put_hex(FILE* f, const char* s, int len) {
  fputc('x', f);
  for (int i = 0; i < len; i++) fprintf(f, "%02x", (unsigned char)s[i]);
}

/* "x<hex bytes>" decoded into out (at most n - 1 bytes, NUL-terminated) */
static void unhex(const char* h, char* out, size_t n) {
  size_t k = 0;
  if (*h == 'x') h++;
  while (h[0] && h[1] && k + 1 < n) {
    unsigned int b;
    sscanf(h, "%2x", &b);
    out[k++] = (char)b;
    h += 2;
  }
  out[k] = 0;
}

#endif
