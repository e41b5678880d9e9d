import unittest

from pcltools import bench

LOG = '''\
[    1.0] KTAP version 1
    # pagecache_lock_bench_sizes: pcl-bench: {"name": "sizeof_address_space", "unit": "bytes", "value": 208}
    # pagecache_lock_bench_sizes: pcl-bench: {"name": "nr_cpus", "unit": "cpus", "value": 2}
    # x: pcl-bench: {"name": "atomic_long_inc_dec", "unit": "ps/op", "value": 10000}
    # x: pcl-bench: {"name": "pagecache_add_get_put", "unit": "ps/op", "value": 12000}
    # x: pcl-bench: {"name": "rwsem_down_up_read", "unit": "ps/op", "value": 20000}
    # x: pcl-bench: {"name": "contended_1x1_add", "unit": "ops/s", "value": 1000}
    # x: pcl-bench: {"name": "contended_1x1_block", "unit": "ops/s", "value": 900}
    # x: pcl-bench: {"name": "broken", "unit": "ps/op", "value": }
    ok 1 pagecache_lock_bench_sizes
'''


class BenchParseTest(unittest.TestCase):
    def setUp(self) -> None:
        self.figures = bench.parse(LOG)

    def test_reads_every_well_formed_figure(self) -> None:
        self.assertEqual(self.figures['sizeof_address_space']['value'], 208)
        self.assertEqual(self.figures['contended_1x1_block']['unit'], 'ops/s')
        self.assertNotIn('broken', self.figures)

    def test_ratios_against_the_floor_and_rwsem(self) -> None:
        r = bench.ratios(self.figures)
        self.assertAlmostEqual(r['pagecache_add_get_put/atomic'], 1.2)
        self.assertAlmostEqual(r['pagecache_add_get_put/rwsem'], 0.6)
        self.assertNotIn('pagecache_block_get_put/atomic', r)

    def test_table_shows_nanoseconds_and_contended_rows(self) -> None:
        text = bench.table('UML', self.figures)
        self.assertIn('2 CPU(s)', text)
        self.assertRegex(text, r'pagecache_add_get_put\s+12\.00\s+1\.20\s+0\.60')
        self.assertRegex(text, r'1 \+ 1\s+1000\s+900')

    def test_no_figures_in_a_log_without_them(self) -> None:
        self.assertEqual(bench.parse('ok 1 foo\n'), {})


if __name__ == '__main__':
    unittest.main()
