-- Parsers and classifiers used by screening. SQL functions written as single
-- expressions or single SELECTs, so PostgreSQL inlines them into the set-based
-- screening query (a plpgsql function per row would be ten times slower).

-- GB 32100 unified social credit code: 18 characters, check digit on the first 17.
-- Place in the code alphabet (0-30) of the character at byte i (0-based) of a code
-- whose format was checked (ASCII): a table lookup, byte value -> place.
CREATE OR REPLACE FUNCTION registry.credit_code_char(code text, i integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT get_byte('\x000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'
                    '00010203040506070809000000000000000a0b0c0d0e0f101100121314151600171819001a1b001c1d1e'::bytea,
                    get_byte(decode(code, 'escape'), i))
$$;
COMMENT ON FUNCTION registry.credit_code_char(text, integer) IS
    'Value (0-30) of the character at byte i (0-based) of a unified social credit code.';

-- A value typed with a Chinese input method in full-width mode (the IME's default for
-- punctuation, and for digits and letters once switched): ５００万元, ２０１５年３月１２日,
-- ５０－９９人, Ｉ６５１０, １１３．１２, ９１４４０６０４... The characters U+FF01-U+FF5E are
-- the ASCII ones of other width (Unicode's compatibility forms: what NFKC folds), and
-- U+3000 is the ideographic space. Each parser of digits reads its value through this
-- function, so that one list of the forms serves them all; a name or an address keeps
-- its characters as written. translate() only when a form is there: over multibyte text
-- it costs 3 us a value, the check 0.16 us, and an ASCII value is neither.
CREATE OR REPLACE FUNCTION registry.halfwidth(raw text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN octet_length(raw) = length(raw) OR raw !~ '[　！-～]' THEN raw
                ELSE translate(raw, '　！＂＃＄％＆＇（）＊＋，－．／０１２３４５６７８９：；＜＝＞？＠ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ［＼］＾＿｀ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ｛｜｝～',
                               ' !"#$%&''()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~') END
$$;
COMMENT ON FUNCTION registry.halfwidth(text) IS
    'A value with its full-width forms (U+FF01-U+FF5E: ５００万元, Ｉ６５１０) and the ideographic space U+3000 as the ASCII characters they stand for.';

-- A credit code as written -> the form it is checked and stored in: upper case, and
-- full-width digits and letters (９１４４０６０４...) as ASCII ones. They were rejected as
-- credit_code_invalid.
CREATE OR REPLACE FUNCTION registry.credit_code_form(raw text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT upper(registry.halfwidth(raw))
$$;
COMMENT ON FUNCTION registry.credit_code_form(text) IS
    'A unified social credit code as written -> upper case, full-width digits and letters as ASCII (registry.halfwidth).';

CREATE OR REPLACE FUNCTION registry.credit_code_valid(code text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- The format (18 characters of the code alphabet, digits in places 3-8) without a
    -- regular expression (PostgreSQL's regex engine took 1.5 s per million codes), then
    -- the check digit over the code's bytes: get_byte costs a third less than substr()
    -- and strpos() per character. CASE: bytes are read only once the format holds.
    SELECT CASE
        WHEN code IS NULL THEN NULL
        WHEN octet_length(code) <> 18
          OR rtrim(code, '0123456789ABCDEFGHJKLMNPQRTUWXY') <> ''
          OR rtrim(substr(code, 3, 6), '0123456789') <> '' THEN false
        ELSE get_byte('0123456789ABCDEFGHJKLMNPQRTUWXY'::bytea,
                      (31 - (registry.credit_code_char(code,  0) *  1
                         + registry.credit_code_char(code,  1) *  3
                         + registry.credit_code_char(code,  2) *  9
                         + registry.credit_code_char(code,  3) * 27
                         + registry.credit_code_char(code,  4) * 19
                         + registry.credit_code_char(code,  5) * 26
                         + registry.credit_code_char(code,  6) * 16
                         + registry.credit_code_char(code,  7) * 17
                         + registry.credit_code_char(code,  8) * 20
                         + registry.credit_code_char(code,  9) * 29
                         + registry.credit_code_char(code, 10) * 25
                         + registry.credit_code_char(code, 11) * 13
                         + registry.credit_code_char(code, 12) *  8
                         + registry.credit_code_char(code, 13) * 24
                         + registry.credit_code_char(code, 14) * 10
                         + registry.credit_code_char(code, 15) * 30
                         + registry.credit_code_char(code, 16) * 28) % 31) % 31)
             = get_byte(decode(code, 'escape'), 17)
    END
$$;
COMMENT ON FUNCTION registry.credit_code_valid(text) IS
    'True when code is a GB 32100 unified social credit code with a correct check digit.';

-- The characters of Chinese numbers, small and formal (一 and 壹), each followed by its
-- value: the digits, and the units as a power of ten (十 10^1 ... 万 10^4, 亿 10^8). The
-- one list of them: the values (registry.numeral_digit, registry.numeral_unit) and the
-- patterns of the capital's parser (registry.numeral_class) are read from it.
CREATE OR REPLACE FUNCTION registry.numeral_digits()
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '零0〇0一1壹1二2两2贰2貳2三3叁3參3四4肆4五5伍5六6陆6陸6七7柒7八8捌8九9玖9'
$$;
COMMENT ON FUNCTION registry.numeral_digits() IS
    'The digits of Chinese numbers, small and formal, each followed by its value (零0 ... 玖9).';
CREATE OR REPLACE FUNCTION registry.numeral_units()
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '十1拾1百2佰2千3仟3万4萬4亿8億8'
$$;
COMMENT ON FUNCTION registry.numeral_units() IS
    'The units of Chinese numbers, small and formal, each followed by its power of ten (十1 ... 亿8).';

-- The characters of such a list whose value is in [lo, hi], as the body of a bracket
-- expression: registry.numeral_class(registry.numeral_units(), 4, 8) is 万萬亿億.
-- Constant arguments: PostgreSQL evaluates it once, when it plans the statement.
CREATE OR REPLACE FUNCTION registry.numeral_class(list text, lo integer DEFAULT 0,
                                                  hi integer DEFAULT 9)
RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT string_agg(m[1], '' ORDER BY i)
      FROM regexp_matches(list, '([^0-9])([0-9])', 'g') WITH ORDINALITY AS r(m, i)
     WHERE m[2]::int BETWEEN lo AND hi
$$;
COMMENT ON FUNCTION registry.numeral_class(text, integer, integer) IS
    'The characters of registry.numeral_digits() or registry.numeral_units() whose value is in [lo, hi], as the body of a regular expression''s bracket expression.';

-- The value of one character of such a list; NULL for any other character (an ASCII
-- one first: a digit is the value of the character before it in the list). Not STRICT,
-- so that PostgreSQL inlines them (2.3 us a call through the function executor, 0.4
-- inlined).
CREATE OR REPLACE FUNCTION registry.numeral_digit(c text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(c) = 1 AND ascii(c) > 127 AND strpos(registry.numeral_digits(), c) > 0
                THEN substr(registry.numeral_digits(), strpos(registry.numeral_digits(), c) + 1, 1)::int
           END
$$;
COMMENT ON FUNCTION registry.numeral_digit(text) IS
    'The value of a digit character of Chinese numbers (零 0, 一 or 壹 1 ... 九 or 玖 9); NULL for any other character.';
CREATE OR REPLACE FUNCTION registry.numeral_unit(c text)
RETURNS numeric LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN length(c) = 1 AND ascii(c) > 127 AND strpos(registry.numeral_units(), c) > 0
                THEN ('1' || repeat('0', substr(registry.numeral_units(),
                                                strpos(registry.numeral_units(), c) + 1, 1)::int))::numeric
           END
$$;
COMMENT ON FUNCTION registry.numeral_unit(text) IS
    'The value of a unit character of Chinese numbers (十 10, 百 100, 千 1000, 万 10000, 亿 100000000, small or formal); NULL for any other character.';

-- The factor of the units written after digits: '万' -> 10000, '千万' -> 10000000.
CREATE OR REPLACE FUNCTION registry.multiplier(p text)
RETURNS numeric LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN p = '' THEN 1 WHEN bool_and(u IS NOT NULL) THEN round(exp(sum(ln(u)))) END
      FROM (SELECT registry.numeral_unit(c) AS u FROM regexp_split_to_table(p, '') AS t(c)) t
$$;
COMMENT ON FUNCTION registry.multiplier(text) IS
    'The factor of the units written after digits (5千万: 千万 -> 10000000); 1 for none, NULL when a character is not a unit (registry.numeral_unit).';

-- The value of Chinese numerals, small (一千零五) or formal (壹仟零伍), with 万 and 亿
-- groups: '伍佰万' -> 5000000, '一亿二千万' -> 120000000, '十二' -> 12. NULL when the
-- characters are not a number (two digits in a row: '五五', '二〇二四').
CREATE OR REPLACE FUNCTION registry.chinese_numeral(p text)
RETURNS numeric LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v_yi numeric := 0;       -- the groups of 亿 so far
    v_wan numeric := 0;      -- the groups of 万 so far, after the last 亿
    v_section numeric := 0;  -- below 万
    v_digit integer;         -- a digit waiting for its unit
    v_unit numeric;
    ch text;
BEGIN
    IF p = '' THEN
        RETURN NULL;
    END IF;
    FOREACH ch IN ARRAY regexp_split_to_array(p, '') LOOP
        v_unit := registry.numeral_unit(ch);
        IF v_unit < 10000 THEN     -- 十 百 千: 二十 20, 十 10, 一百零十 110
            v_section := v_section + CASE WHEN coalesce(v_digit, 0) = 0 THEN 1 ELSE v_digit END
                                     * v_unit;
            v_digit := NULL;
        ELSIF v_unit = 10000 THEN  -- 万 closes a group
            IF v_section + coalesce(v_digit, 0) = 0 THEN
                RETURN NULL;
            END IF;
            v_wan := v_wan + (v_section + coalesce(v_digit, 0)) * 10000;
            v_section := 0;
            v_digit := NULL;
        ELSIF v_unit IS NOT NULL THEN  -- 亿 multiplies all before it
            IF v_wan + v_section + coalesce(v_digit, 0) = 0 THEN
                RETURN NULL;
            END IF;
            v_yi := (v_yi + v_wan + v_section + coalesce(v_digit, 0)) * 100000000;
            v_wan := 0;
            v_section := 0;
            v_digit := NULL;
        ELSE
            IF v_digit > 0 THEN  -- a digit after a digit: not a number
                RETURN NULL;
            END IF;
            v_digit := registry.numeral_digit(ch);
            IF v_digit IS NULL THEN
                RETURN NULL;
            END IF;
        END IF;
    END LOOP;
    RETURN v_yi + v_wan + v_section + coalesce(v_digit, 0);
END
$$;
COMMENT ON FUNCTION registry.chinese_numeral(text) IS
    'Chinese numerals, small or formal, with 万 and 亿 groups -> their value (伍佰万 -> 5000000, 一亿二千万 -> 120000000); NULL when the characters are not a number.';

-- Registered capital: '1000万人民币', '50万美元', '100.5万元', '1,200 万元', '2亿元', and
-- as a licence or a notarised form writes it: the currency first ('人民币500万元',
-- 'USD 50万', '￥500万'), 整 or 正 after the amount ('500万元整'), Chinese numerals
-- ('人民币伍佰万元整', '一千万元'), a multiplier after digits ('5千万元').
-- A value splits into: the text before the amount, the amount (Arabic digits and the
-- multipliers after them, or a run of Chinese numerals), and the text after it. The
-- currency is the text before (a 元 or 圆 after it is the unit's name, as in 人民币500万元),
-- else the text after.
-- A bare number, with neither unit nor currency, is in p_bare_unit: by default 万元
-- (registries state capital in units of ten thousand), else the unit a column's header
-- states (注册资本(元): 元; registry.screen_load). problem is NULL when the value is regular.
-- Set-based: the screening parses every distinct capital of a load in one call, with
-- one hash join to the currency aliases and rates (0.2 s for 86,875 values, where a
-- lateral call per value took 2.5 s); parse_capital(raw) is the same for one value.
-- (Revision 0054 added p_bare_unit, 0055 made NULL its default: the older signatures go
-- first. NULL stands for 万元, so that the default is written here only.)
DROP FUNCTION IF EXISTS registry.parse_capital(text);
DROP FUNCTION IF EXISTS registry.parse_capitals(text[]);
DROP FUNCTION IF EXISTS registry.parse_capital(text, text);
DROP FUNCTION IF EXISTS registry.parse_capitals(text[], text);
CREATE OR REPLACE FUNCTION registry.parse_capitals(p_raw text[], p_bare_unit text DEFAULT NULL)
RETURNS TABLE (raw text, amount numeric, currency text, amount_cny numeric, problem text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- OFFSET 0 keeps each step a separate subquery (evaluated once per value);
    -- patterns have no capture groups (PostgreSQL's fast regex path).
    SELECT p.raw, CASE WHEN p.problem IS NULL AND r.cny_per_unit IS NOT NULL THEN p.amount END,
           p.currency,
           CASE WHEN p.problem IS NULL THEN p.amount * r.cny_per_unit END,
           coalesce(p.problem, CASE WHEN r.cny_per_unit IS NULL
                                    THEN 'no exchange rate for ' || p.currency END)
    FROM (
        SELECT u.raw, u.amount, cur.value AS currency,
               CASE WHEN u.s = '' THEN 'missing'
                    WHEN u.amount IS NULL THEN 'unparseable'
                    WHEN u.num LIKE '-%' THEN 'negative'
                    WHEN u.amount = 0 THEN 'zero'
                    WHEN cur.value IS NULL THEN 'unknown currency "' || u.cur || '"'
               END AS problem
        FROM (
            -- the amount: digits with neither multiplier nor currency (an empty bare
            -- unit) count in 万
            SELECT b.raw, b.s, b.num, b.cur,
                   coalesce(b.num::numeric, registry.chinese_numeral(b.cn))
                   * CASE WHEN b.mult = '' THEN CASE WHEN b.cur = '' AND b.num IS NOT NULL
                                                     THEN 10000 ELSE 1 END
                          WHEN length(b.mult) = 1 THEN registry.numeral_unit(b.mult)  -- inlined
                          ELSE registry.multiplier(b.mult) END AS amount
            FROM (
                -- multiplier and currency: a bare number takes the bare unit's
                SELECT a.raw, a.s, a.num, a.cn,
                       CASE WHEN a.bare THEN bu.mult ELSE a.mult END AS mult,
                       CASE WHEN a.bare THEN bu.cur
                            WHEN a.pre = '' THEN a.post
                            WHEN a.post IN ('', '元', '圆') THEN a.pre
                            ELSE a.pre || a.post END AS cur
                FROM (
                    SELECT m.raw, m.s, m.pre, m.num, m.cn, m.mult,
                           substr(m.after, coalesce(length(coalesce(m.num, m.cn)), 0)
                                           + length(m.mult) + 1) AS post,
                           m.pre = '' AND m.mult = ''
                           AND length(coalesce(m.num, m.cn)) = length(m.after)
                           AND (m.num IS NOT NULL
                                OR m.cn !~ ('[' || registry.numeral_class(registry.numeral_units(), 4) || ']'))
                           AS bare
                    FROM (
                        -- the multipliers after digits: 万 in 500万元, 千万 in 5千万元
                        SELECT x.raw, x.s, x.pre, x.after, x.num, x.cn,
                               CASE WHEN x.num IS NULL THEN ''
                                    ELSE substring(substr(x.after, length(x.num) + 1)
                                                   FROM '^[' || registry.numeral_class(registry.numeral_units())
                                                        || ']*') END AS mult
                        FROM (
                            -- the amount: digits, else a run of Chinese numerals
                            SELECT w.raw, w.s, w.pre, w.after, w.num,
                                   CASE WHEN w.num IS NULL THEN substring(w.after FROM
                                       '^[' || registry.numeral_class(registry.numeral_digits())
                                       || registry.numeral_class(registry.numeral_units()) || ']+')
                                   END AS cn
                            FROM (
                                SELECT v.raw, v.s, v.pre, v.after,
                                       substring(v.after FROM '^-?[0-9]+(?:\.[0-9]+)?') AS num
                                FROM (
                                    -- the text before the amount: a currency, or nothing
                                    SELECT c.raw, c.s, c.pre, substr(c.s, length(c.pre) + 1) AS after
                                    FROM (
                                        SELECT t.raw, t.s,
                                               CASE WHEN ascii(t.s) BETWEEN 48 AND 57 THEN ''
                                                    ELSE substring(t.s FROM
                                                        '^[^-0-9.' || registry.numeral_class(registry.numeral_digits())
                                                        || registry.numeral_class(registry.numeral_units()) || ']*')
                                               END AS pre
                                        FROM (
                                            -- full-width forms as ASCII (registry.halfwidth),
                                            -- blanks, separators and brackets out, and 整
                                            -- ("exactly") after the amount
                                            SELECT d.raw,
                                                   CASE WHEN d.s LIKE '%整' OR d.s LIKE '%正'
                                                        THEN regexp_replace(d.s,
                                                            '(?<=[元圆币万亿])[整正]$', '')
                                                        ELSE d.s END AS s
                                            FROM (SELECT r.raw, regexp_replace(
                                                                 registry.halfwidth(coalesce(r.raw, '')),
                                                                 '[\s,()]', '', 'g') AS s
                                                    FROM unnest(p_raw) AS r(raw) OFFSET 0) d
                                            OFFSET 0) t
                                        OFFSET 0) c
                                    OFFSET 0) v
                                OFFSET 0) w
                            OFFSET 0) x
                        OFFSET 0) m
                    OFFSET 0) a
                CROSS JOIN (
                    SELECT k.unit_mult AS mult, substr(k.unit, length(k.unit_mult) + 1) AS cur
                    FROM (SELECT q.unit, substring(q.unit FROM '^[' || registry.numeral_class(registry.numeral_units())
                                                               || ']*') AS unit_mult
                            FROM (SELECT regexp_replace(registry.halfwidth(coalesce(p_bare_unit, '万元')),
                                                        '[\s,()]', '', 'g') AS unit) q) k
                    OFFSET 0) bu
                OFFSET 0) b
            OFFSET 0) u
        LEFT JOIN registry.value_aliases cur
               ON cur.kind = 'currency' AND cur.alias = lower(u.cur)
    ) p
    LEFT JOIN registry.currency_rates r ON r.currency = p.currency
$$;
COMMENT ON FUNCTION registry.parse_capitals(text[], text) IS
    'Registered capital texts -> each one with its amount (units), ISO currency, amount in CNY, and the problem when irregular (missing, zero, negative, unparseable, unknown currency). A bare number is in p_bare_unit (NULL: 万元).';

CREATE OR REPLACE FUNCTION registry.parse_capital(raw text, bare_unit text DEFAULT NULL)
RETURNS TABLE (amount numeric, currency text, amount_cny numeric, problem text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT amount, currency, amount_cny, problem FROM registry.parse_capitals(ARRAY[raw], bare_unit)
$$;
COMMENT ON FUNCTION registry.parse_capital(text, text) IS
    'Registered capital text -> amount (units), ISO currency, amount in CNY, and the problem when irregular (missing, zero, negative, unparseable, unknown currency).';

-- A field's value without the blanks around it, NULL when nothing else is left. Blanks:
-- ASCII whitespace and the Unicode spaces of Chinese and web text: the ideographic space
-- U+3000 of full-width input, the no-break space U+00A0 and zero-width space U+200B of
-- text copied from web pages, a stray byte-order mark U+FEFF, and the other Unicode
-- spaces. btrim() alone trims only ASCII spaces, and a code, a status, a capital, a
-- coordinate or a date followed by an ideographic space was rejected, while a name of
-- one ideographic space passed as a name.
-- (not STRICT: so that PostgreSQL inlines it into the staging view's statement)
CREATE OR REPLACE FUNCTION registry.field_value(raw text)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(btrim(raw, U&' \0009\000A\000B\000C\000D\0085\00A0\1680\2000\2001\2002\2003\2004\2005\2006\2007\2008\2009\200A\200B\2028\2029\202F\205F\3000\FEFF'), '')
$$;
COMMENT ON FUNCTION registry.field_value(text) IS
    'A field''s value without the ASCII and Unicode blanks around it (U+3000, U+00A0, U+200B...); NULL when nothing is left.';

-- A longitude or latitude as written -> its value: a decimal number of 1-3 integer
-- digits (spelled out: 20% faster than a counted repetition), NULL for anything else.
-- A value that is not such a number is read again with its full-width forms as ASCII
-- (１１３．１２), so that an ASCII one pays for one pattern only. Not STRICT, so that
-- PostgreSQL inlines it into the screening's per-row statement.
CREATE OR REPLACE FUNCTION registry.parse_coordinate(raw text)
RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN raw ~ '^[-+]?[0-9][0-9]?[0-9]?(?:\.[0-9]+)?$' THEN raw::float8
                WHEN registry.halfwidth(raw) ~ '^[-+]?[0-9][0-9]?[0-9]?(?:\.[0-9]+)?$'
                THEN registry.halfwidth(raw)::float8 END
$$;
COMMENT ON FUNCTION registry.parse_coordinate(text) IS
    'A longitude or latitude as written (113.12, +23.0, full-width １１３．１２) -> its value; NULL when it is not a decimal number of 1-3 integer digits.';

-- Dates: 2015-03-12, 2015/3/12, 2015.3.12, 2015年3月12日, 20150312. Invalid days are bad.
-- A 5-digit number is an Excel serial date (days since 1899-12-30: 42075 is 2015-03-12),
-- as a date cell reads once its format is lost (General) or in a CSV saved so; its
-- fraction is a time of day. No other date format has 5 digits, and 5 digits are the
-- years 1927 to 2173.
CREATE OR REPLACE FUNCTION registry.parse_date(raw text)
RETURNS TABLE (value date, bad boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN serial IS NOT NULL THEN date '1899-12-30' + serial
                WHEN ok THEN make_date(y, mo, d) END,
           (btrim(coalesce(raw, '')) <> '' AND serial IS NULL AND NOT coalesce(ok, false))
    FROM (
        SELECT y, mo, d, serial,
               mo BETWEEN 1 AND 12 AND y BETWEEN 1800 AND 2200 AND d >= 1
               AND d <= CASE WHEN mo = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0
                                                   THEN 29 ELSE 28 END
                             WHEN mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END AS ok
        FROM (
            SELECT CASE WHEN t ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN split_part(t, '-', 1)::int
                        WHEN t ~ '^[0-9]{8}$' THEN left(t, 4)::int END AS y,
                   CASE WHEN t ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN split_part(t, '-', 2)::int
                        WHEN t ~ '^[0-9]{8}$' THEN substr(t, 5, 2)::int END AS mo,
                   CASE WHEN t ~ '^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$' THEN split_part(t, '-', 3)::int
                        WHEN t ~ '^[0-9]{8}$' THEN substr(t, 7, 2)::int END AS d,
                   (regexp_match(h, '^([0-9]{5})(?:\.[0-9]*)?$'))[1]::int AS serial
            FROM (SELECT h, split_part(split_part(rtrim(translate(h, '/.年月', '----'), '日'),
                                                  ' ', 1), 'T', 1) AS t
                    FROM (SELECT btrim(registry.halfwidth(raw)) AS h) h
                  OFFSET 0) t0
            OFFSET 0) n
    ) x
$$;
COMMENT ON FUNCTION registry.parse_date(text) IS
    'Date text in common registry formats, or a 5-digit Excel serial date -> date; bad is true for a non-empty value that is not a valid date.';

-- The GB/T 4754 division (2 digits) of an industry value: from a code (I6510, 6510, C39,
-- '软件业(I65)'), else from a division's name (registry.industry_divisions) standing
-- alone or as one step of a path (门类-大类-中类-小类, separated by - > / | , ; or
-- their full-width forms). A section's name alone (信息传输、软件和信息技术服务业)
-- names no one division: NULL. The standard's designation and an edition's year are no
-- code: 'GB/T 4754-2017 I6510' and '2017版 C3911' read 65 and 39, not 47 and 20.
-- Called once per distinct value of a load (registry.screen_load).
CREATE OR REPLACE FUNCTION registry.gbt4754_division(code text)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(
        (regexp_match(regexp_replace(upper(registry.halfwidth(code)),
                                     'GB/?T?\s*4754(?:\s*[-–—]\s*(?:19|20)[0-9]{2})?|(?:19|20)[0-9]{2}\s*(?:年版|版|年|EDITION)',
                                     ' ', 'g'),
                      '(?:^|[^0-9A-Z])[A-T]?([0-9]{2})[0-9]{0,2}(?:[^0-9]|$)'))[1],
        (SELECT d.division
           FROM regexp_split_to_table(regexp_replace(registry.halfwidth(code), '\s+', '', 'g'),
                                      '[-–—>/|,;]+') WITH ORDINALITY AS p(part, i)
           JOIN registry.industry_divisions d ON d.name = p.part
          ORDER BY p.i LIMIT 1))
$$;
COMMENT ON FUNCTION registry.gbt4754_division(text) IS
    'Two-digit GB/T 4754 division of an industry value: its code, else a division name in it (registry.industry_divisions); NULL when neither is found.';

CREATE OR REPLACE FUNCTION registry.classify_status(status text)
RETURNS TABLE (active boolean, rule_id integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.active, r.rule_id FROM registry.status_rules r
    WHERE status ~* r.pattern
    ORDER BY r.priority, r.rule_id LIMIT 1
$$;
COMMENT ON FUNCTION registry.classify_status(text) IS
    'The status rule that decides an operating status (no row: unknown).';

CREATE OR REPLACE FUNCTION registry.classify_sector(division text, tags text, scope text)
RETURNS TABLE (sector_id smallint, digital_label boolean, rule_id integer)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.sector_id, r.digital_label, r.rule_id FROM registry.sector_rules r
    WHERE CASE r.match_on
            WHEN 'industry_division' THEN division ~ r.pattern
            WHEN 'tags' THEN tags ~* r.pattern
            WHEN 'business_scope' THEN division IS NULL AND scope ~* r.pattern
          END
    ORDER BY r.priority, r.rule_id LIMIT 1
$$;
COMMENT ON FUNCTION registry.classify_sector(text, text, text) IS
    'The sector rule that makes an enterprise digital, and its sector (no row: non-digital).';

-- Size class: the file's value when it is a known spelling, else from the insured
-- employees when the file has them (registry.size_employee_thresholds, per sector), else
-- derived from the registered capital. Separate functions, so that the screening can
-- look each part up once per distinct value (spellings, counts, capitals) and combine
-- them per row with size_pick.
-- A spelling of registry.value_aliases, or one with a second spelling in brackets, as
-- Qichacha writes the class: S(小型), XS(微型), 小型(S). The two must name one class
-- (S(大型) is unknown), and 小微企业 (small or micro) names none: NULL, as for any
-- unknown spelling, and the employees or the capital decide.
CREATE OR REPLACE FUNCTION registry.size_class_given(given text)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN count(DISTINCT a.value) = 1 AND bool_and(a.value IS NOT NULL)
                THEN min(a.value) END
      FROM (SELECT lower(regexp_replace(registry.halfwidth(given), '\s', '', 'g')) AS g) v
      CROSS JOIN LATERAL (
          SELECT v.g AS spelling WHERE v.g !~ '[(]'
          UNION ALL
          SELECT p FROM unnest(ARRAY[regexp_replace(v.g, '[(][^)]*[)]', '', 'g'),
                                     substring(v.g FROM '[(]([^)]*)[)]')]) AS p
           WHERE v.g ~ '^[^(]+[(][^)]+[)]$' OR v.g ~ '^[(][^)]+[)][^(]+$') s
      LEFT JOIN registry.value_aliases a ON a.kind = 'size_class' AND a.alias = s.spelling
$$;
COMMENT ON FUNCTION registry.size_class_given(text) IS
    'Size class of a spelling from the file (registry.value_aliases), or of one with a second spelling in brackets naming the same class (S(小型)); NULL when unknown.';

-- Employees as written: a count (12, 12人, 1,200, 12.0 from a number cell) is a band
-- lo = hi; a band, as Tianyancha's 人员规模 gives it (50-99人, 小于50人, 50人以下,
-- 10000人以上, 1万人以上), is lo to hi, hi NULL when it has no end. Anything else (-,
-- 暂无, 未公开) gives no row: the field is optional, so such a value counts as
-- missing, as an unknown size spelling does. 小于 / 少于 / 大于 exclude the number,
-- 以下 / 以上 include it (as Chinese statutes read them).
CREATE OR REPLACE FUNCTION registry.parse_employee_band(raw text)
RETURNS TABLE (lo integer, hi integer) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE u.k WHEN 'gt' THEN u.a + 1 WHEN 'lt' THEN 0 WHEN 'le' THEN 0 ELSE u.a END,
           CASE u.k WHEN 'count' THEN u.a WHEN 'range' THEN u.b WHEN 'lt' THEN u.a - 1
                    WHEN 'le' THEN u.a END
      FROM (SELECT t.k, substring(t.v FROM '[0-9]+')::integer AS a,
                   substring(t.v FROM '[0-9]+$')::integer AS b
              FROM (SELECT s.v,
                           CASE WHEN s.v0 ~ '^([0-9]{1,7}|[0-9]{1,3}(,[0-9]{3}){1,2})(\.0*)?人?$'
                                THEN 'count'
                                WHEN s.v ~ '^[0-9]{1,9}[-~—–至到][0-9]{1,9}$' THEN 'range'
                                WHEN s.v ~ '^(小于|少于|低于|不足|不到|<)[0-9]{1,9}$' THEN 'lt'
                                WHEN s.v ~ '^([0-9]{1,9}(以下|以内)|(≤|<=)[0-9]{1,9})$' THEN 'le'
                                WHEN s.v ~ '^(大于|多于|超过|>)[0-9]{1,9}$' THEN 'gt'
                                WHEN s.v ~ '^([0-9]{1,9}(及以上|以上)|(≥|>=)[0-9]{1,9})$' THEN 'ge'
                           END AS k
                      FROM (SELECT r.v0,
                                   regexp_replace(regexp_replace(regexp_replace(r.v0,
                                       '[,]', '', 'g'), '([0-9]+)万', '\10000', 'g'),
                                       '[人名]', '', 'g') AS v
                              FROM (SELECT regexp_replace(registry.halfwidth(raw), '\s', '', 'g')
                                               AS v0) r) s) t
             WHERE t.k IS NOT NULL) u
     WHERE (u.k <> 'range' OR u.a <= u.b) AND (u.k <> 'lt' OR u.a > 0)
$$;
COMMENT ON FUNCTION registry.parse_employee_band(text) IS
    'Employees as written -> the band lo to hi: a count (12, 12人, 1,200) gives lo = hi, a band (50-99人, 小于50人, 10000人以上) its ends, hi NULL when open; no row when the value is neither.';

CREATE OR REPLACE FUNCTION registry.parse_employees(raw text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (SELECT b.lo FROM registry.parse_employee_band(raw) b WHERE b.lo = b.hi)
$$;
COMMENT ON FUNCTION registry.parse_employees(text) IS
    'Insured employees as written (12, 12人, 1,200) -> count; NULL when the value is not a count (a band 50-99人 is not: registry.parse_employee_band).';

-- (set-returning functions, so that PostgreSQL inlines them into a lateral join: a
-- scalar SQL function with a FROM clause runs through the function executor per call)
CREATE OR REPLACE FUNCTION registry.size_class_by_employees(sector smallint, employees integer)
RETURNS TABLE (size_class text) LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT t.size_class FROM registry.size_employee_thresholds t
     WHERE t.sector_id = sector AND t.min_employees <= employees
     ORDER BY t.min_employees DESC LIMIT 1
$$;
COMMENT ON FUNCTION registry.size_class_by_employees(smallint, integer) IS
    'Size class of an enterprise of the sector with so many insured employees (registry.size_employee_thresholds); no row when the sector has no thresholds.';

-- A band decides the class when it lies in one class: 50-99人 is small in both
-- sectors, 100-499人 spans small and medium in comms (and medium and large in
-- software), so the capital decides it.
CREATE OR REPLACE FUNCTION registry.size_class_by_band(sector smallint, lo integer, hi integer)
RETURNS TABLE (size_class text) LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT a.size_class FROM registry.size_class_by_employees(sector, lo) a
      JOIN registry.size_class_by_employees(sector, coalesce(hi, 2147483647)) b
        ON b.size_class = a.size_class
$$;
COMMENT ON FUNCTION registry.size_class_by_band(smallint, integer, integer) IS
    'Size class of an enterprise of the sector whose employees are lo to hi (hi NULL: no end), when the whole band lies in one class; no row otherwise.';

DROP FUNCTION IF EXISTS registry.size_class_derived(numeric);
CREATE OR REPLACE FUNCTION registry.size_class_derived(capital_cny numeric)
RETURNS TABLE (size_class text) LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT s.size_class FROM registry.size_thresholds s
     WHERE s.min_capital_cny <= capital_cny ORDER BY s.min_capital_cny DESC LIMIT 1
$$;
COMMENT ON FUNCTION registry.size_class_derived(numeric) IS
    'Size class derived from registered capital in CNY (registry.size_thresholds).';

DROP FUNCTION IF EXISTS registry.size_pick(text, text);
CREATE OR REPLACE FUNCTION registry.size_pick(given_class text, employees_class text,
                                              derived_class text)
RETURNS TABLE (size_class text, source text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(given_class, employees_class, derived_class),
           CASE WHEN given_class IS NOT NULL THEN 'file'
                WHEN employees_class IS NOT NULL THEN 'employees'
                WHEN derived_class IS NOT NULL THEN 'derived' END
$$;
COMMENT ON FUNCTION registry.size_pick(text, text, text) IS
    'Size class and its source: the class given in the file, else the one of the employees, else the one derived from capital.';

DROP FUNCTION IF EXISTS registry.size_class_for(text, numeric);
CREATE OR REPLACE FUNCTION registry.size_class_for(given text, capital_cny numeric,
                                                  employees integer DEFAULT NULL,
                                                  sector smallint DEFAULT NULL)
RETURNS TABLE (size_class text, source text)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT p.size_class, p.source
      FROM (SELECT registry.size_class_given(given) AS g OFFSET 0) x
      LEFT JOIN LATERAL registry.size_class_by_employees(sector, employees) e ON true
      LEFT JOIN LATERAL registry.size_class_derived(capital_cny) d ON true
     CROSS JOIN LATERAL registry.size_pick(x.g, e.size_class, d.size_class) p
$$;
COMMENT ON FUNCTION registry.size_class_for(text, numeric, integer, smallint) IS
    'Size class from the file when it is a known spelling, else from the insured employees of an enterprise of the sector (registry.size_employee_thresholds), else derived from registered capital (registry.size_thresholds).';

-- Inside the region extent (the registry.settings columns region_xmin ... region_ymax).
-- Scalar bounds, not a registry.settings row: one expression PostgreSQL inlines, and
-- picking the fields out of a row value cost 1.6 s per million calls (the screening
-- makes three per row).
DROP FUNCTION IF EXISTS registry.in_region(double precision, double precision);
DROP FUNCTION IF EXISTS registry.in_region(double precision, double precision, registry.settings);
CREATE OR REPLACE FUNCTION registry.in_region(x double precision, y double precision,
                                              xmin double precision, ymin double precision,
                                              xmax double precision, ymax double precision)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT x BETWEEN xmin AND xmax AND y BETWEEN ymin AND ymax
$$;
COMMENT ON FUNCTION registry.in_region(double precision, double precision, double precision,
                                       double precision, double precision, double precision) IS
    'True when lon/lat lie in the extent xmin, ymin, xmax, ymax (the region: registry.settings).';
