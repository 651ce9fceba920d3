/* fuzz-json.c — libFuzzer target for engine/dv-json-parse.c (and the writer).
 *
 * The input is JSON text, parsed with the default flags and with duplicate
 * keys and NaN/Infinity refused.  A document that parses is copied, printed
 * (compact and indented) and parsed again: each must equal the original.
 */
#include "fuzz-common.h"
#include "dv-json.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_setup (FALSE);
  return 0;
}

static void
round_trip (const DvJson *j, gboolean pretty)
{
  g_autofree char *text = dv_json_to_string (j, pretty);
  g_autoptr (GError) error = NULL;
  g_autoptr (DvJson) back = dv_json_parse (text, -1, &error);
  if (back == NULL)
    g_error ("printed JSON does not parse: %s\n%s", error->message, text);
  if (!dv_json_equal (j, back))
    g_error ("printed JSON parses to something else:\n%s", text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const DvJsonParseFlags flags[] = {
    DV_JSON_PARSE_DEFAULT, DV_JSON_PARSE_REJECT_DUPLICATES | DV_JSON_PARSE_NO_NONFINITE
  };
  for (gsize f = 0; f < G_N_ELEMENTS (flags); f++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (DvJson) j = dv_json_parse_full ((const char *) data, (gssize) size, flags[f],
                                                 &error);
      if (j == NULL)
        {
          g_assert (error->domain == DV_JSON_ERROR);
          fuzz_refused (error);
          continue;
        }
      g_autoptr (DvJson) copy = dv_json_copy (j);
      g_assert (dv_json_equal (j, copy));
      round_trip (j, FALSE);
      round_trip (j, TRUE);
    }
  return 0;
}
