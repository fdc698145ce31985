/* Pre-tokenizer regexes against Hugging Face tokenizers' regex engine: the expected
 * splits below were produced by tokenizers.pre_tokenizers.Split(Regex(pattern),
 * "isolated") (tokenizers 0.23) for the GPT-2 and Llama 3 patterns; words joined by '|'. */
#include <string.h>

#include "test.h"
#include "tokenizer/pretokenize_internal.h"

typedef struct split_case {
    const char *text, *gpt2, *llama3;
} split_case;

static const split_case cases[] = {
    {"Hello world",
     "Hello| world",
     "Hello| world"},
    {"  Hello   world  ",
     " | Hello|  | world|  ",
     " | Hello|  | world|  "},
    {"It's I'M we'LL 'sup",
     "It|'s| I|'|M| we|'|LL| '|sup",
     "It|'s| I|'M| we|'LL| '|sup"},
    {"12345 67",
     "12345| 67",
     "123|45| |67"},
    {"\011\011x\012\012 y",
     "\011|\011|x|\012\012| y",
     "\011|\011x|\012\012| y"},
    {"a\015\012\015\012  b",
     "a|\015\012\015\012 | b",
     "a|\015\012\015\012| | b"},
    {"(hello) [x]",
     "(|hello|)| [|x|]",
     "(hello|)| [|x|]"},
    {"ab!!!\012\012cd",
     "ab|!!!|\012|\012|cd",
     "ab|!!!\012\012|cd"},
    {" \302\240\343\200\200x",
     " \302\240|\343\200\200|x",
     " \302\240|\343\200\200x"},
    {"na\303\257ve \344\275\240\345\245\275 \360\237\246\231\360\237\246\231 ok",
     "na\303\257ve| \344\275\240\345\245\275| \360\237\246\231\360\237\246\231| ok",
     "na\303\257ve| \344\275\240\345\245\275| \360\237\246\231\360\237\246\231| ok"},
    {"x  \012  y",
     "x|  \012 | y",
     "x|  \012| | y"},
    {"...'s",
     "...'|s",
     "...'|s"},
    {"'''",
     "'''",
     "'''"},
};

/* Joins the words with '|' into out. */
static void split(pretokenizer_kind kind, const char *text, char *out, size_t cap) {
    pretokenizer p;
    pretokenizer_init(&p, kind, text, strlen(text));
    size_t start, end, n = 0;
    out[0] = '\0';
    while (pretokenizer_next(&p, &start, &end)) {
        if (n && n + 1 < cap) out[n++] = '|';
        for (size_t i = start; i < end && n + 1 < cap; i++) out[n++] = text[i];
        out[n] = '\0';
    }
}

int main(void) {
    char got[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        split(PRETOK_GPT2, cases[i].text, got, sizeof got);
        CHECK_MSG(strcmp(got, cases[i].gpt2) == 0, "gpt2 case %zu: got [%s]", i, got);
        split(PRETOK_LLAMA3, cases[i].text, got, sizeof got);
        CHECK_MSG(strcmp(got, cases[i].llama3) == 0, "llama3 case %zu: got [%s]", i, got);
    }
    /* SmolLM: every digit alone, GPT-2 regex between them (HF Digits + ByteLevel). */
    split(PRETOK_SMOLLM, "ab 123 x4", got, sizeof got);
    CHECK_MSG(strcmp(got, "ab| |1|2|3| x|4") == 0, "smollm: got [%s]", got);
    /* Invalid UTF-8 still advances and ends. */
    split(PRETOK_LLAMA3, "\xff\xfe a\xc3", got, sizeof got);
    CHECK(strlen(got) > 0);
    TEST_MAIN_END();
}
