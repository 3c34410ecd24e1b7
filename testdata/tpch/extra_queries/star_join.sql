-- A six-way star join over TPC-H: lineitem with five dimensions, each
-- joined only to lineitem (partsupp on a compound key), most filtered.
SELECT
    p_brand,
    l_shipmode,
    count(*) AS items,
    sum(l_quantity) AS quantity
FROM
    lineitem,
    orders,
    part,
    supplier,
    partsupp,
    (SELECT DISTINCT l_shipmode AS mode FROM lineitem) AS modes
WHERE
    l_orderkey = o_orderkey
    AND l_partkey = p_partkey
    AND l_suppkey = s_suppkey
    AND l_partkey = ps_partkey
    AND l_suppkey = ps_suppkey
    AND l_shipmode = mode
    AND o_orderdate >= DATE '1995-01-01'
    AND o_orderdate < DATE '1995-07-01'
    AND p_size < 10
    AND s_acctbal > 5000
    AND ps_availqty > 5000
    AND mode IN ('AIR', 'RAIL')
GROUP BY
    p_brand,
    l_shipmode
ORDER BY
    p_brand,
    l_shipmode;
