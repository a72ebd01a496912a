/* The JSON reader batch and the QC page rely on: values, escapes, paths,
 * and refusal of malformed or hostile text. */
#include "core/json.h"
#include "test_util.h"

#include <string.h>

static json_value *parse(const char *s) { return json_parse(s, strlen(s), NULL, 0); }

int main(void)
{
    const char *doc = "{\"verdict\": \"written\", \"registration\": {\"trust\": 0.93, \"trusted\": true},"
                      " \"images\": [{\"input_sha256\": \"ab\\u00e9\\n\"}, {\"x\": null}], \"n\": -1.5e2}";
    json_value *v = parse(doc);
    CHECK(v != NULL, "valid document must parse");
    CHECK(!strcmp(json_path_string(v, "verdict", ""), "written"), "string member");
    CHECK(json_path_number(v, "registration.trust", 0) == 0.93, "nested number");
    CHECK(json_path(v, "registration.trusted")->boolean == 1, "boolean");
    CHECK(!strcmp(json_path_string(v, "images.0.input_sha256", ""), "ab\xc3\xa9\n"), "escapes decoded");
    CHECK(json_path(v, "images.1.x")->type == JSON_NULL, "null");
    CHECK(json_path(v, "images.2") == NULL, "index out of range");
    CHECK(json_path_number(v, "n", 0) == -150.0, "exponent");
    CHECK(json_path(v, "missing.key") == NULL, "missing path");
    json_free(v);

    const char *bad[] = {"", "{", "{\"a\" 1}", "[1,]", "{\"a\":1,}", "\"abc", "tru", "01x", "[1] 2",
                         "{\"a\":\"\\q\"}", "\"\x01\"", "-", "{1:2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128];
        json_value *b = json_parse(bad[i], strlen(bad[i]), err, sizeof err);
        CHECK(b == NULL && err[0], "malformed text %zu must be refused", i);
        json_free(b);
    }
    /* Deep nesting is refused instead of exhausting the stack. */
    char deep[4001];
    memset(deep, '[', 4000);
    deep[4000] = '\0';
    CHECK(parse(deep) == NULL, "deep nesting refused");
    return test_finish("test_json");
}
