#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace rdb {

/// An ordered map whose versions share structure: `set` and `erase` leave the map they are
/// called on unchanged and return a new version in O(log n) time and space.
///
/// How it works: an AVL tree of immutable nodes held by `shared_ptr`. A change copies only the
/// nodes on the path from the root to the key (path copying) and rebalances the copies; every
/// other subtree is shared between the old and the new version. Entries are held by pointer, so
/// a copied node copies no key or value. Readers of one version never see another's change:
/// nothing reachable from a root is ever modified, which is what lets the route table publish
/// versions to other threads without a lock.
template <class K, class V, class Less = std::less<>>
class persistent_map {
 public:
  using value_type = std::pair<const K, V>;

  persistent_map() = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Nodes on the longest path from the root: at most about 1.44 log2(size + 2) (AVL), so every
  /// lookup and change is O(log n).
  int height() const { return height(root_); }

  /// The value under `key`, or null.
  template <class Key>
  const V* find(const Key& key) const {
    const node* n = root_.get();
    while (n != nullptr) {
      if (less_(key, n->entry->first))
        n = n->left.get();
      else if (less_(n->entry->first, key))
        n = n->right.get();
      else
        return &n->entry->second;
    }
    return nullptr;
  }

  /// The entry with the greatest key not above `key`, or null.
  template <class Key>
  const value_type* floor(const Key& key) const {
    const value_type* best = nullptr;
    const node* n = root_.get();
    while (n != nullptr) {
      if (less_(key, n->entry->first)) {
        n = n->left.get();
      } else {
        best = n->entry.get();
        n = n->right.get();
      }
    }
    return best;
  }

  /// A version with `key` mapped to `value` (replacing what it mapped to).
  persistent_map set(K key, V value) const {
    auto entry = std::make_shared<const value_type>(std::move(key), std::move(value));
    bool added = false;
    auto root = insert(root_, entry, added);
    return persistent_map{std::move(root), size_ + (added ? 1 : 0)};
  }

  /// A version without `key` (the same contents if it had none).
  template <class Key>
  persistent_map erase(const Key& key) const {
    bool removed = false;
    auto root = remove(root_, key, removed);
    if (!removed) return *this;
    return persistent_map{std::move(root), size_ - 1};
  }

  /// Calls `f(entry)` for every entry in key order until it returns false.
  template <class F>
  void for_each(F&& f) const {
    walk(root_.get(), nullptr, f);
  }

  /// Calls `f(entry)` in key order for every entry from the one `floor(key)` names (or the
  /// first, if none) until `f` returns false.
  template <class Key, class F>
  void for_each_from(const Key& key, F&& f) const {
    const auto* start = floor(key);
    walk(root_.get(), start != nullptr ? &start->first : nullptr, f);
  }

 private:
  struct node;
  using node_ptr = std::shared_ptr<const node>;

  struct node {
    std::shared_ptr<const value_type> entry;
    node_ptr left;
    node_ptr right;
    int height = 1;
  };

  persistent_map(node_ptr root, std::size_t size) : root_(std::move(root)), size_(size) {}

  static int height(const node_ptr& n) { return n ? n->height : 0; }

  static node_ptr make(std::shared_ptr<const value_type> entry, node_ptr left, node_ptr right) {
    int h = 1 + std::max(height(left), height(right));
    return std::make_shared<const node>(
        node{std::move(entry), std::move(left), std::move(right), h});
  }

  static node_ptr rotate_right(const node_ptr& n) {
    const auto& l = n->left;
    return make(l->entry, l->left, make(n->entry, l->right, n->right));
  }

  static node_ptr rotate_left(const node_ptr& n) {
    const auto& r = n->right;
    return make(r->entry, make(n->entry, n->left, r->left), r->right);
  }

  /// A node over `left` and `right`, whose heights differ by at most 2, rebalanced so they
  /// differ by at most 1 (the AVL invariant).
  static node_ptr balance(std::shared_ptr<const value_type> entry, node_ptr left, node_ptr right) {
    int diff = height(left) - height(right);
    if (diff > 1) {
      if (height(left->left) < height(left->right)) left = rotate_left(left);
      return rotate_right(make(std::move(entry), std::move(left), std::move(right)));
    }
    if (diff < -1) {
      if (height(right->right) < height(right->left)) right = rotate_right(right);
      return rotate_left(make(std::move(entry), std::move(left), std::move(right)));
    }
    return make(std::move(entry), std::move(left), std::move(right));
  }

  node_ptr insert(const node_ptr& n, const std::shared_ptr<const value_type>& entry,
                  bool& added) const {
    if (!n) {
      added = true;
      return make(entry, nullptr, nullptr);
    }
    if (less_(entry->first, n->entry->first))
      return balance(n->entry, insert(n->left, entry, added), n->right);
    if (less_(n->entry->first, entry->first))
      return balance(n->entry, n->left, insert(n->right, entry, added));
    return make(entry, n->left, n->right);
  }

  /// `n` without its smallest entry, which goes to `smallest`.
  static node_ptr remove_min(const node_ptr& n, std::shared_ptr<const value_type>& smallest) {
    if (!n->left) {
      smallest = n->entry;
      return n->right;
    }
    return balance(n->entry, remove_min(n->left, smallest), n->right);
  }

  template <class Key>
  node_ptr remove(const node_ptr& n, const Key& key, bool& removed) const {
    if (!n) return n;
    if (less_(key, n->entry->first)) {
      auto left = remove(n->left, key, removed);
      return removed ? balance(n->entry, std::move(left), n->right) : n;
    }
    if (less_(n->entry->first, key)) {
      auto right = remove(n->right, key, removed);
      return removed ? balance(n->entry, n->left, std::move(right)) : n;
    }
    removed = true;
    if (!n->left) return n->right;
    if (!n->right) return n->left;
    std::shared_ptr<const value_type> successor;
    auto right = remove_min(n->right, successor);
    return balance(std::move(successor), n->left, std::move(right));
  }

  /// In-order walk of the entries not below `*from` (all, if null); false once `f` stopped it.
  template <class F>
  bool walk(const node* n, const K* from, F& f) const {
    if (n == nullptr) return true;
    bool left_may_hold = from == nullptr || less_(*from, n->entry->first);
    if (left_may_hold && !walk(n->left.get(), from, f)) return false;
    if (from == nullptr || !less_(n->entry->first, *from)) {
      if (!f(*n->entry)) return false;
    }
    return walk(n->right.get(), from, f);
  }

  node_ptr root_;
  std::size_t size_ = 0;
  [[no_unique_address]] Less less_;
};

}  // namespace rdb
